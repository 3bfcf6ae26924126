"""The domain logic. Never imports streamlit; every function takes `session` as a keyword."""
