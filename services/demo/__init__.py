"""A realistic demo day of one edition (marked `is_demo`, removable): workshops, questionnaire, conference, circuit.

The demo texts (assets/demo/contributions.yaml) are written for the themes of the 2016 pack; another edition's
themes get them in turn, by position, when their codes differ. Dates follow the edition's own conference day,
départements its Région.

One name for callers (`from services import demo`): day (the circuit, contributions, supports), questionnaire,
stances (the adequacy check), removal.
"""

from services.demo.common import ACTOR_TYPES, DEMO_FILE, ORGANISATIONS, DemoReport, conference_day
from services.demo.day import seed_demo
from services.demo.removal import remove_demo

__all__ = ["ACTOR_TYPES", "DEMO_FILE", "ORGANISATIONS", "DemoReport", "conference_day", "remove_demo", "seed_demo"]
