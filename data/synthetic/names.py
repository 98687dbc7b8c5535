"""Made-up patient names from many cultures, in the F3's `Last First [Middle]` order.

Real packets hold protected health information, so every name here is assembled at random from
common given names and surnames; the mix of hyphens, apostrophes, accents, particles and `Jr`
is what an extractor has to survive.
"""

from __future__ import annotations

import random

SURNAMES = [
    "Alvarez", "Okafor", "Nguyen", "Fischer", "Haddad", "Kowalczyk", "Tanaka", "Oyelaran",
    "Petrov", "Lindqvist", "Mbeki", "Castellanos", "Iyer", "Chaudhry", "O'Connell", "D'Amico",
    "Müller", "Sørensen", "Gonçalves", "Nuñez", "Ibáñez", "Žák", "Kim", "Park",
    "Wang", "Chen", "Zhou", "Abernathy", "Quiambao", "Cunningham", "Delacroix", "van der Berg",
    "De la Cruz", "Smith-Okonkwo", "Garcia-Lopez", "Hoang", "Tran", "Pham", "Rahman",
    "Mahmoud", "Yilmaz", "Öztürk", "Nakamura", "Kapoor", "Bhattacharya", "Mwangi", "Otieno",
    "Asante", "Mensah", "Kealoha", "Begay", "Yazzie", "Morningstar", "Fitzgerald",
    "MacLeod", "Ó Briain", "Novák", "Šimek", "Papadopoulos", "Georgiou", "Rossi", "Esposito",
    "Bianchi", "Jensen", "Andersson", "Virtanen", "Kowalski", "Santos", "Oliveira",
    "Villanueva", "Reyes", "Bautista", "Salazar", "Romero", "Herrera", "Mendoza", "Cohen",
    "Levi", "Friedman", "Abramowitz", "Ivanova", "Volkov", "Sato", "Watanabe", "Lee",
    "Obi", "Adeyemi", "Boateng", "Haile", "Tesfaye", "Nasser", "Khalil", "Farouk",
    "St. Pierre", "LeBlanc", "Thibodeaux", "Washington-Hale", "Brooks", "Whitfield",
    "Oduya-Castellanos", "Wójcik", "Szabó", "Horváth", "Nagy", "Ramírez", "Muñoz",
]

GIVEN = [
    "Maria", "Daniel", "Thi", "Anna", "Mohammed", "Aisha", "Wei", "Yuki", "Olumide", "Ingrid",
    "José", "Zoë", "Chloé", "Björn", "Siobhán", "Renée", "Nkechi", "Kwame", "Priya", "Arjun",
    "Fatima", "Omar", "Hana", "Jae-won", "Min-jun", "Mei", "Sofía", "Mateo", "Luca", "Giulia",
    "Noah", "Emma", "Liam", "Olivia", "Ethan", "Ava", "Mason", "Isabella", "Lucas", "Mia",
    "Kai", "Leilani", "Ayasha", "Dakota", "Tomasz", "Agnieszka", "Dmitri", "Svetlana",
    "Esperanza", "Guadalupe", "Joaquín", "Thandiwe", "Sipho", "Abebe", "Selam", "Nadia",
    "Rania", "Yusuf", "Elif", "Mehmet", "Hiroshi", "Akiko", "Anh", "Minh", "Linh", "Ravi",
    "Deepa", "Sunita", "Connor", "Aoife", "Seán", "Margaret", "Harold", "Dorothy", "Walter",
    "Eleanor", "Frank", "Beatriz", "Rafael", "Noémie", "François", "Anne-Marie", "Jean-Luc",
    "Mary-Kate", "Li", "Xiu", "Oluwaseun", "Chidi", "Adaeze", "Kofi", "Ama", "Malia",
]

MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTW"

# Extremely long names force the report writer to overflow and wrap; they occur a few times a
# month in real packets (compound surnames, two given names).
LONG_SURNAMES = [
    "Quiambao Cunningham",
    "Vanderhoeven-Castellanos",
    "Oduya-Castellanos de la Fuente",
    "Papadopoulos-Whitfield",
    "Bhattacharya-Morningstar",
    "Ramírez de Arellano y Villanueva",
]


def patient_name(rng: random.Random) -> str:
    """One made-up name as the F3 prints it: surname, given name, optional middle/suffix."""
    roll = rng.random()
    if roll < 0.015:
        last = rng.choice(LONG_SURNAMES)
    elif roll < 0.06:
        last = f"{rng.choice(SURNAMES)}-{rng.choice(SURNAMES)}"
    else:
        last = rng.choice(SURNAMES)
    parts = [last, rng.choice(GIVEN)]
    if rng.random() < 0.08:
        parts.append(rng.choice(GIVEN))
    if rng.random() < 0.35:
        parts.append(rng.choice(MIDDLE_INITIALS))
    if rng.random() < 0.03:
        parts.append("Jr")
    return " ".join(parts)


# The physician is made up too; the packet prints the name three ways.
PHYSICIAN_FIRST = "Elena"
PHYSICIAN_LAST = "Marwick"
PHYSICIAN_NUMBER = "731"
