from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import Client, Facility, PatientAccount, Person
from staff.models import Team, User

PASSWORD = "correct horse battery"
_PASSWORD_HASH = None


def password_hash() -> str:
    global _PASSWORD_HASH  # noqa: PLW0603 - hash once per session; hashing is the slow part
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = make_password(PASSWORD)
    return _PASSWORD_HASH


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.COLLECTOR
    password = factory.LazyFunction(password_hash)

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.set(extracted)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    code = factory.Sequence(lambda n: f"client{n}")
    name = factory.Sequence(lambda n: f"Mercy Hospital {n}")


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Facility {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1980, 5, 17)
    ssn_last4 = "1234"


class PatientAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientAccount

    client = factory.SubFactory(ClientFactory)
    client_account_number = factory.Sequence(lambda n: f"E{100000 + n}")
    guarantor = factory.SubFactory(PersonFactory)
    patient = factory.SelfAttribute("guarantor")
    service_date_from = dt.date(2026, 3, 2)
    service_date_to = dt.date(2026, 3, 2)
    placement_date = dt.date(2026, 9, 1)
    team = factory.SubFactory(TeamFactory)
    balance = Decimal("0.00")
