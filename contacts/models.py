from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField


class ContactStatus(models.TextChoices):
    GOOD = "good", "Good"
    BAD = "bad", "Bad"
    UNVERIFIED = "unverified", "Unverified"


class Source(models.TextChoices):
    PLACEMENT = "placement", "Client placement"
    CONSUMER = "consumer", "Consumer provided"
    SKIP_TRACE = "skip_trace", "Skip trace"
    COLLECTOR = "collector", "Collector entered"


class Phone(models.Model):
    """A phone number, always E.164 (`contacts.services.phone_add` validates; a DB check backs it up)."""

    class Kind(models.TextChoices):
        MOBILE = "mobile", "Mobile"
        HOME = "home", "Home"
        WORK = "work", "Work"

    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="phones")
    number = PhoneNumberField(region="US")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=ContactStatus.choices, default=ContactStatus.UNVERIFIED)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PLACEMENT)
    # TCPA: prior express consent to autodialed/prerecorded calls and to texts, each with the date given
    # or revoked; the compliance engine reads these.
    autodialer_consent = models.BooleanField(default=False)
    autodialer_consent_at = models.DateTimeField(null=True, blank=True)
    sms_consent = models.BooleanField(default=False)
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    consent_revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "number"], name="phone_unique_per_person"),
            models.CheckConstraint(condition=Q(number__regex=r"^\+[1-9][0-9]{7,14}$"), name="phone_is_e164"),
        ]
        indexes = [models.Index(fields=["number"], name="phone_number")]

    def __str__(self) -> str:
        return str(self.number)


class Address(models.Model):
    class Status(models.TextChoices):
        GOOD = "good", "Good"
        RETURNED = "returned", "Returned mail"

    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="addresses")
    line1 = models.CharField(max_length=120)
    line2 = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=80)
    state = models.CharField(max_length=2)
    zip_code = models.CharField("ZIP", max_length=10)
    time_zone = models.CharField(max_length=40, help_text="IANA zone derived from the ZIP code")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GOOD)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PLACEMENT)
    is_primary = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "addresses"
        constraints = [
            models.CheckConstraint(
                condition=Q(zip_code__regex=r"^\d{5}(-\d{4})?$"), name="address_zip_format"
            ),
            models.UniqueConstraint(
                fields=["person"], condition=Q(is_primary=True), name="address_one_primary_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line1}, {self.city}, {self.state} {self.zip_code}"


class Email(models.Model):
    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="emails")
    address = models.EmailField()
    status = models.CharField(max_length=12, choices=ContactStatus.choices, default=ContactStatus.UNVERIFIED)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PLACEMENT)
    consent = models.BooleanField(default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "address"], name="email_unique_per_person")]

    def __str__(self) -> str:
        return self.address


class Disposition(models.TextChoices):
    """Outcome codes of a contact attempt (DESIGN.md glossary)."""

    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Voicemail (no message)"
    LCM = "lcm", "Limited-content message"
    BUSY = "busy", "Busy"
    NOT_IN_SERVICE = "not_in_service", "Not in service"
    DROPPED = "dropped", "Dropped"
    CONVERSATION = "conversation", "Conversation"
    WRONG_PARTY = "wrong_party", "Wrong party / wrong number"
    THIRD_PARTY = "third_party", "Third party"
    PROMISE = "promise", "Promise to pay"
    REFUSED = "refused", "Refused to pay"
    DISPUTE = "dispute", "Dispute"
    CEASE = "cease", "Cease request"
    ATTORNEY = "attorney", "Represented by attorney"
    SENT = "sent", "Sent (letter, email, text)"
    RETURNED = "returned", "Returned / bounced"


# Outcomes that were a conversation with the right party (the manager's right-party-contact counts).
RIGHT_PARTY_DISPOSITIONS = (
    Disposition.CONVERSATION,
    Disposition.PROMISE,
    Disposition.DISPUTE,
    Disposition.REFUSED,
)


class ContactAttempt(models.Model):
    """One call, text, email, letter or visit, and what came of it. One attempt can concern several of
    the guarantor's accounts (a conversation about two debts counts against both)."""

    class Channel(models.TextChoices):
        CALL = "call", "Call"
        TEXT = "text", "Text"
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"
        VISIT = "visit", "Visit"

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound"
        INBOUND = "inbound", "Inbound"

    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="contact_attempts")
    accounts = models.ManyToManyField("accounts.PatientAccount", related_name="contact_attempts")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    phone = models.ForeignKey(Phone, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts")
    address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    email = models.ForeignKey(Email, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts")
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    # What the compliance engine reads beyond the outcome: `automated` (an autodialer, prerecorded voice
    # or automated text: the TCPA applies), `template` (the letter, text or email sent), `returned_on`
    # (a letter came back), `payment_deadline` and `remedy` (what a letter demanded or announced).
    details = models.JSONField(default=dict, db_default={}, blank=True)
    # The rules of RULES.md the attempt broke, as the compliance engine judged it when it was logged
    # (recording is never blocked); a manager reviews each one that broke any.
    violations = ArrayField(models.CharField(max_length=16), default=list, db_default=[], blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="attempt_person_time"),
            # The managers' review list: the few attempts that broke a rule and wait for review.
            models.Index(
                fields=["-occurred_at"],
                condition=Q(reviewed_at__isnull=True) & ~Q(violations=[]),
                name="attempt_to_review",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["call", "text"], phone__isnull=False)
                | Q(channel="email", email__isnull=False)
                | Q(channel__in=["letter", "visit"], address__isnull=False),
                name="attempt_names_its_contact_point",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_disposition_display()} {self.occurred_at:%Y-%m-%d}"


class RightPartyVerification(models.Model):
    """A check that the person on the line is the guarantor, by two identifiers, before anything about
    the debt is disclosed (HIPAA and FDCPA third-party disclosure). Failed checks are kept too."""

    IDENTIFIERS = ("date_of_birth", "ssn_last4", "zip_code", "street_number")

    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="verifications")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    matched = models.JSONField(default=list, help_text="Names of the identifiers that matched")
    asked = models.JSONField(default=list, help_text="Names of the identifiers asked")
    passed = models.BooleanField()
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["person", "actor", "-verified_at"], name="rpv_person_actor_time")]

    def __str__(self) -> str:
        return f"RPV {'passed' if self.passed else 'failed'} for person {self.person_id}"


class ContactPreference(models.Model):
    """Something a person told the desk about being contacted, or learned about a number, that the
    compliance engine must respect. Append-only: a later record supersedes an earlier one by its time.

    Kinds and their `details` (RULES.md; SCENARIO-FORMAT.md event types of the same names):

    - consent: `given_to` (collector | creditor), `scope` (window | one_call | automated | electronic),
      `from` / `until` (ISO times, for a window), `written`; for the accounts listed (none: every one)
      and, for automated or electronic consent, the phone or email it covers;
    - inconvenient: `weekdays` (0 = Monday), `from` / `to` (local "HH:MM"; both absent: all day),
      `place` ("work" or none), `written`;
    - medium_optout: `medium` (phone | text | email | letter), or the phone or email it names;
    - tcpa_revocation: the phone whose automated calls and texts were refused;
    - reassigned_number: the phone, `disconnected` (ISO date) if known.
    """

    class Kind(models.TextChoices):
        CONSENT = "consent", "Consent to be contacted"
        INCONVENIENT = "inconvenient", "Inconvenient time or place"
        MEDIUM_OPTOUT = "medium_optout", "Do not use this medium"
        TCPA_REVOCATION = "tcpa_revocation", "Automated calls and texts refused"
        REASSIGNED_NUMBER = "reassigned_number", "Number reassigned"

    person = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="contact_preferences"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    phone = models.ForeignKey(Phone, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    email = models.ForeignKey(Email, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    accounts = models.ManyToManyField("accounts.PatientAccount", blank=True, related_name="+")
    details = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["person", "occurred_at"], name="contactpref_person_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for person {self.person_id}"

    @property
    def summary(self) -> str:
        """What was said, in a line: "Mon–Fri 10:00–12:00 at work", "texts", a window's times."""
        d = self.details or {}
        parts = []
        days = d.get("weekdays")
        if days and sorted(days) != list(range(7)):
            names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            parts.append(", ".join(names[i] for i in sorted(days)))
        if d.get("from") and d.get("to"):
            parts.append(f"{d['from']}–{d['to']}")
        if d.get("from") and d.get("until"):
            parts.append(f"{d['from'][:16].replace('T', ' ')} to {d['until'][11:16]}")
        if d.get("place"):
            parts.append(f"at {d['place']}")
        if d.get("medium"):
            parts.append(d["medium"])
        return " ".join(parts)


class RelatedParty(models.Model):
    """Someone other than the consumer whom the desk may reach about the consumer's accounts: a spouse, a
    minor's parent, a guardian, an executor or a successor in interest (they count as the consumer,
    12 CFR 1006.6(a)), the consumer's attorney, or a third party (a brother, a neighbour, an employer)
    reached only to find the consumer. Their own phones and emails hang on their Person record."""

    CONSUMER_LIKE = ("spouse", "parent", "guardian", "executor", "successor")

    consumer = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="related_parties")
    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="related_to")
    relation = models.SlugField(
        max_length=20, help_text="spouse, parent, guardian, executor, successor, attorney, …"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "person"], name="related_party_once"),
            models.CheckConstraint(condition=~Q(consumer=models.F("person")), name="related_party_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.relation} of person {self.consumer_id}"
