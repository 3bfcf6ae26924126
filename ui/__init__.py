"""The thin Streamlit-side layer: store access and caching, authentication, shared widgets."""
