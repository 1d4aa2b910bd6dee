"""Tables. Changes here need an Alembic migration in ``migrations/versions``.

Times are stored as timezone-aware UTC (``UtcDateTime``) on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from roamkit.protocol.timeutil import utcnow


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = _as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else _as_utc(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the text SQLAlchemy's ``DATETIME`` writes ("YYYY-MM-DD
        HH:MM:SS.ffffff", UTC) in one C call: the generic chain (this type's
        ``process_bind_param``, then the dialect's formatting) took 2.4 µs a value,
        a tenth of a pull's work per stored row. Anything but a datetime takes the
        generic chain (and its errors); ``test_tables`` checks the two agree."""
        generic = super().bind_processor(dialect)
        if dialect.name != "sqlite" or generic is None:
            return generic

        def process(value: Any) -> Any:
            if type(value) is not datetime:
                return generic(value)
            return _as_utc(value).isoformat(" ", "microseconds")[:26]  # without "+00:00"

        return process


def _as_utc(value: datetime) -> datetime:
    """Aware, in ``datetime.UTC`` (naive values are taken as UTC)."""
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Partner(Base):
    """One OCPI connection. ``status``: invited → registered; pending while we register
    with them; the row is deleted on unregister."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    versions_url: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(10))
    roles: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Token the partner uses to call us (we issued it): only its hash is stored.
    token_in_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A new incoming token during a rotation we started: valid alongside the old
    # one until the partner has confirmed (CHECKLIST A-211-6).
    token_in_next_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Single-use registration token we issued (CREDENTIALS_TOKEN_A), hashed.
    token_a_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Token we use to call the partner (they issued it): needed in clear text.
    token_out: Mapped[str | None] = mapped_column(String(255))
    token_encoding: Mapped[str] = mapped_column(String(10), default="auto")
    via_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    """A party reached through a hub connection (2.2.1 #transport_and_format_message_routing):
    the row of that connection. Such a row has no tokens of its own: it mirrors the hub's
    (``partners.hub``), and its own data, pushes and lists stay apart from other parties'."""
    client_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The hub's ClientInfo for this party (2.2.1 mod_hub_client_info.asciidoc), as received."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    endpoints: Mapped[list[PartnerEndpoint]] = relationship(
        back_populates="partner",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="PartnerEndpoint.id",
    )


class PartnerEndpoint(Base):
    """A module endpoint from the partner's version details."""

    __tablename__ = "partner_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    module: Mapped[str] = mapped_column(String(50))
    role: Mapped[str | None] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(String(255))

    partner: Mapped[Partner] = relationship(back_populates="endpoints")


class StoredObject(Base):
    """An OCPI object (location, tariff, token, session, CDR ...) as canonical JSON,
    plus its wire JSON per version, written once on change so list pages are
    assembled from bytes (DESIGN.md §2). ``owner_id`` 0 is our own data,
    otherwise the partner that sent it. ``id`` orders lists: oldest first."""

    __tablename__ = "objects"
    __table_args__ = (
        UniqueConstraint(
            "module", "owner_id", "country_code", "party_id", "object_id", name="uq_objects_key"
        ),
        Index("ix_objects_list", "module", "owner_id", "id"),
        Index("ix_objects_public", "module", "owner_id", "published", "id"),
        Index("ix_objects_updated", "module", "owner_id", "last_updated"),
        # Sender GETs of one object carry no party in the URL (get_own).
        Index("ix_objects_id", "module", "owner_id", "object_id"),
        Index("ix_objects_audience", "module", "owner_id", "audience_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module: Mapped[str] = mapped_column(String(30))
    owner_id: Mapped[int] = mapped_column(Integer, default=0)
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    object_id: Mapped[str] = mapped_column(String(255))
    last_updated: Mapped[datetime] = mapped_column(UtcDateTime)
    # May be shown to partners that cannot read 2.2.1's ``publish`` flag (2.1.1):
    # publish=true and, for locations, at least one EVSE not REMOVED
    # (2.1.1 mod_locations.md §1; 2.2.1 #mod_locations_location_object).
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    wire_v221: Mapped[bytes | None] = mapped_column(LargeBinary)
    wire_v211: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    audience_id: Mapped[int | None] = mapped_column(Integer)
    """Our own sessions and CDRs concern one partner (the token's eMSP): only that
    partner gets them in lists and pushes (2.1.1 mod_cdrs.md §1.2, 2.2.1
    #mod_cdrs_cpo_get_method). None: every partner may see the object."""


class Quarantine(Base):
    """Objects a partner sent that we could not accept, with the reason."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    module: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OutboxEntry(Base):
    """A change waiting to be pushed to one partner (DESIGN.md §2, durable outbox).

    Written in the same transaction as the change. The worker reads the
    object's current state when it delivers a PUT, so later changes of the same
    object supersede earlier ones; PATCH bodies carry only what changed.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "next_attempt_at", "id"),
        # Per-object order across processes (sync.outbox, sync.worker).
        Index(
            "ix_outbox_object",
            *("partner_id", "module", "country_code", "party_id", "object_id", "id"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, index=True)
    module: Mapped[str] = mapped_column(String(30))
    method: Mapped[str] = mapped_column(String(6))
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    object_id: Mapped[str] = mapped_column(String(255))
    evse_uid: Mapped[str | None] = mapped_column(String(36))
    connector_id: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set while a worker delivers it; a crashed worker's lease simply runs out.
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SyncState(Base):
    """Progress of pull sync per partner and module: where the next incremental
    sync starts (``date_from``)."""

    __tablename__ = "sync_state"

    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module: Mapped[str] = mapped_column(String(30), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_full_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ChargingSession(Base):
    """A charging session at one of our own charge points, as the charger side reported
    it (CPO side): the meter samples, the tariff and location snapshots taken at the
    start (2.2.1 #mod_cdrs_cdr_object: a CDR shows them as they were then), and the
    push state. The OCPI Session derived from it is an ``objects`` row (module
    ``sessions``), so lists and pushes read it like any other object."""

    __tablename__ = "charging_sessions"
    __table_args__ = (Index("ix_charging_sessions_push_due", "push_due_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    audience_id: Mapped[int | None] = mapped_column(Integer)
    """The partner whose token started the session: the only one it is pushed to."""
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Samples, snapshots, meter start: see ``modules.sessions.charging``."""
    push_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """When the next (throttled) PATCH to the eMSP is due; None when nothing is pending."""
    pushed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class TariffVersion(Base):
    """Every version of a partner's tariff we received (eMSP side), so a CDR is
    re-priced with the version that applied to it, not the one that replaced it
    later (2.2.1 mod_tariffs.asciidoc: a tariff changed during a session keeps
    applying as it was at the start)."""

    __tablename__ = "tariff_versions"
    __table_args__ = (
        UniqueConstraint(
            "owner_id",
            "country_code",
            "party_id",
            "tariff_id",
            "last_updated",
            name="uq_tariff_versions_key",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer)
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    tariff_id: Mapped[str] = mapped_column(String(36))
    last_updated: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class CdrDispute(Base):
    """A received CDR whose totals our own pricing does not confirm (eMSP side),
    or that names a token, location or tariff we do not know."""

    __tablename__ = "cdr_disputes"
    __table_args__ = (
        Index("ix_cdr_disputes_cdr", "partner_id", "country_code", "party_id", "cdr_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer)
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    cdr_id: Mapped[str] = mapped_column(String(39))
    kind: Mapped[str] = mapped_column(String(30))
    """price_mismatch, unknown_token, unknown_location, unknown_tariff, unpriceable."""
    claimed_total: Mapped[str | None] = mapped_column(String(40))
    expected_total: Mapped[str | None] = mapped_column(String(40))
    difference: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The reason in words and the engine's explanation, per charging period."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CommandRecord(Base):
    """One asynchronous request and its outcome: a command (2.1.1 mod_commands.md, 2.2.1
    mod_commands.asciidoc) or a charging profile request (2.2.1 mod_charging_profiles).

    ``direction`` "out": we sent it to ``partner_id`` (eMSP/SCSP side) and wait for the
    result on our ``response_url``; "in": the partner sent it to us (CPO side), the
    charger side has it, and the result goes to the partner's ``response_url``."""

    __tablename__ = "commands"
    __table_args__ = (
        Index("ix_commands_deadline", "state", "deadline_at"),
        Index("ix_commands_list", "direction", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    partner_id: Mapped[int] = mapped_column(Integer, index=True)
    module: Mapped[str] = mapped_column(String(20))
    """``commands`` or ``chargingprofiles``."""
    kind: Mapped[str] = mapped_column(String(30))
    """A CommandType, or SET_PROFILE / GET_PROFILE / CLEAR_PROFILE."""
    state: Mapped[str] = mapped_column(String(20))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_url: Mapped[str | None] = mapped_column(String(512))
    session_id: Mapped[str | None] = mapped_column(String(36))
    reservation_id: Mapped[str | None] = mapped_column(String(36))
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    """X-Correlation-ID of the request that started it, carried on to the result."""
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """When it times out unless a result came (None once it has ended)."""
    handed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """CPO side: when the charger side took it (``POST /api/charger/commands/take``)."""
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Reservation(Base):
    """A reservation (ReserveNow) at a location. CPO side ("in"): ``id`` is the id the
    charger side gets, unique across eMSPs, so one eMSP can never replace or cancel
    another's reservation (2.2.1 #mod_commands_reservenow_object); eMSP side ("out"):
    the reservations we made. Same ``reservation_id`` again replaces it."""

    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("direction", "partner_id", "reservation_id", name="uq_reservations_key"),
        Index("ix_reservations_expiry", "status", "expiry_date"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    partner_id: Mapped[int] = mapped_column(Integer)
    reservation_id: Mapped[str] = mapped_column(String(36))
    location_id: Mapped[str] = mapped_column(String(36))
    evse_uid: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))
    """requested, active, cancelled, expired, used, failed."""
    expiry_date: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The token, authorization_reference and the command ids."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ChargingProfileState(Base):
    """Smart charging of one session (2.2.1 mod_charging_profiles). "in" (CPO side): a
    partner set a profile on our session, so changes of the active profile are PUT to
    it (#mod_charging_profiles_msp_put_method); "out" (eMSP/SCSP side): a partner's
    session we set a profile on, with the ActiveChargingProfile it last sent."""

    __tablename__ = "charging_profiles"
    __table_args__ = (
        UniqueConstraint("direction", "partner_id", "session_id", name="uq_charging_profiles_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    partner_id: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[str] = mapped_column(String(36))
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The ChargingProfile last set successfully."""
    active: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The last ActiveChargingProfile (CPO: reported by the charger side; eMSP: received)."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
