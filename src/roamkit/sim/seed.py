"""Deterministic, realistic OCPI 2.2.1 demo data: Tariffs and Locations.

Everything is derived from ``random.Random(seed)`` and a fixed instant
(:data:`DEFAULT_LAST_UPDATED`), never from global random state or the clock:
the same arguments always give the same objects (compare ``.wire()``).

Tariffs follow a fixed cycle of templates (:data:`TARIFF_TEMPLATES`), so
``TARIFF-0001`` is always the simple AC per-kWh tariff, ``TARIFF-0002`` the DC
fast tariff with a session fee, and so on; the seed only varies the prices.
Because the kind of tariff is a function of its id, :func:`generate_locations`
can give AC connectors AC tariffs and DC connectors DC tariffs from nothing but
a list of ids (see :func:`tariff_kind`).

Typical use::

    tariffs = generate_tariffs(10)
    locations = generate_locations(1000, tariff_ids=[t.id for t in tariffs])

Objects are built with normal (validating) construction from plain dicts;
100,000 locations take a few seconds.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any

from roamkit.gctools import gc_paused
from roamkit.models.v221.locations import Location
from roamkit.models.v221.tariffs import Tariff

__all__ = [
    "DEFAULT_LAST_UPDATED",
    "TARIFF_TEMPLATES",
    "generate_locations",
    "generate_tariffs",
    "iter_locations",
    "tariff_kind",
]

DEFAULT_LAST_UPDATED = datetime(2026, 1, 1, tzinfo=UTC)
"""Newest ``last_updated`` when none is given; objects get up to 30 days earlier."""

_MAX_AGE_S = 30 * 86400
_CENT = Decimal("0.01")

# --------------------------------------------------------------------------- tariffs

TARIFF_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("ac_simple", "AC"),
    ("dc_fast_session_fee", "DC"),
    ("ac_energy_time_step", "AC"),
    ("ac_parking_time_of_day", "AC"),
    ("dc_power_volume", "DC"),
    ("free_of_charge", "ANY"),
    ("ac_min_max_price", "AC"),
    ("dc_idle_fee", "DC"),
    ("ac_green", "AC"),
    ("dc_ad_hoc", "DC"),
)
"""``(name, kind)`` per template; tariff number ``n`` uses template ``(n - 1) % 10``.
Kind ``AC``/``DC`` is the connector power the tariff is meant for, ``ANY`` both."""

_TARIFF_ID = re.compile(r"^TARIFF-(\d+)$")

_VAT: dict[str, str] = {
    "AT": "20", "BE": "21", "CH": "8.1", "DE": "19", "DK": "25", "ES": "21", "FI": "25.5",
    "FR": "20", "GB": "20", "IE": "23", "IT": "22", "LU": "17", "NL": "21", "NO": "25",
    "PL": "23", "PT": "23", "SE": "25",
}  # fmt: skip
"""Standard VAT rate (%) by the tariff owner's country; 21 when unknown."""

_TARIFF_LANG: dict[str, str] = {
    "AT": "de", "BE": "nl", "CH": "de", "DE": "de", "ES": "es", "FR": "fr", "IT": "it",
    "LU": "fr", "NL": "nl",
}  # fmt: skip
"""Second ``tariff_alt_text`` language (after ``en``) by country; ``de`` when unknown."""

_ALT_TEXT: dict[str, dict[str, str]] = {
    "ac_simple": {
        "en": "{e} per kWh incl. VAT.",
        "nl": "{e} per kWh incl. btw.",
        "de": "{e} pro kWh inkl. MwSt.",
        "fr": "{e} par kWh TTC.",
        "es": "{e} por kWh, IVA incluido.",
        "it": "{e} al kWh, IVA inclusa.",
    },
    "ac_energy_time_step": {
        "en": "{e} per kWh plus {t} per hour of charging, billed per started 15 minutes. "
        "Prices incl. VAT.",
        "nl": "{e} per kWh plus {t} per uur laden, afgerekend per begonnen kwartier. "
        "Prijzen incl. btw.",
        "de": "{e} pro kWh zuzüglich {t} pro Stunde Ladezeit, abgerechnet je angefangene "
        "15 Minuten. Preise inkl. MwSt.",
        "fr": "{e} par kWh plus {t} par heure de charge, facturé par tranche de 15 minutes "
        "entamée. Prix TTC.",
        "es": "{e} por kWh más {t} por hora de carga, facturado por bloques de 15 minutos "
        "iniciados. IVA incluido.",
        "it": "{e} al kWh più {t} per ora di ricarica, fatturati per blocchi di 15 minuti "
        "iniziati. IVA inclusa.",
    },
    "ac_parking_time_of_day": {
        "en": "{e} per kWh. Parking while not charging: {p} per hour, Mon-Fri 09:00-18:00 "
        "and Sat 10:00-17:00. Prices incl. VAT.",
        "nl": "{e} per kWh. Parkeren zonder te laden: {p} per uur, ma-vr 09:00-18:00 "
        "en za 10:00-17:00. Prijzen incl. btw.",
        "de": "{e} pro kWh. Parken ohne Laden: {p} pro Stunde, Mo-Fr 09:00-18:00 "
        "und Sa 10:00-17:00. Preise inkl. MwSt.",
        "fr": "{e} par kWh. Stationnement sans charge : {p} par heure, lun-ven 09:00-18:00 "
        "et sam 10:00-17:00. Prix TTC.",
        "es": "{e} por kWh. Estacionamiento sin cargar: {p} por hora, lun-vie 09:00-18:00 "
        "y sáb 10:00-17:00. IVA incluido.",
        "it": "{e} al kWh. Sosta senza ricarica: {p} all'ora, lun-ven 09:00-18:00 "
        "e sab 10:00-17:00. IVA inclusa.",
    },
    "free_of_charge": {
        "en": "Free of charge.",
        "nl": "Gratis laden.",
        "de": "Kostenloses Laden.",
        "fr": "Recharge gratuite.",
        "es": "Carga gratuita.",
        "it": "Ricarica gratuita.",
    },
    "dc_ad_hoc": {
        "en": "Pay by card: {f} per session plus {e} per kWh, incl. VAT.",
        "nl": "Betalen met pas: {f} per sessie plus {e} per kWh, incl. btw.",
        "de": "Zahlung per Karte: {f} pro Ladevorgang zuzüglich {e} pro kWh, inkl. MwSt.",
        "fr": "Paiement par carte : {f} par session plus {e} par kWh, TTC.",
        "es": "Pago con tarjeta: {f} por sesión más {e} por kWh, IVA incluido.",
        "it": "Pagamento con carta: {f} a sessione più {e} al kWh, IVA inclusa.",
    },
}

_WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]


def tariff_kind(tariff_id: str) -> str | None:
    """``"AC"``, ``"DC"`` or ``"ANY"`` for an id made by :func:`generate_tariffs`,
    ``None`` for any other id."""
    m = _TARIFF_ID.match(tariff_id)
    if m is None or int(m.group(1)) < 1:
        return None
    return TARIFF_TEMPLATES[(int(m.group(1)) - 1) % len(TARIFF_TEMPLATES)][1]


def _money(rng: random.Random, cents: int) -> Decimal:
    """``cents`` varied by up to ±10 %, as a 2-decimal Decimal."""
    return Decimal((cents * rng.randint(90, 110) + 50) // 100).scaleb(-2)


def _incl(amount: Decimal, vat: Decimal) -> Decimal:
    return (amount * (100 + vat) / 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def _pc(kind: str, price: Decimal, vat: Decimal | None, step_size: int = 1) -> dict[str, Any]:
    pc: dict[str, Any] = {"type": kind, "price": price, "step_size": step_size}
    if vat is not None:
        pc["vat"] = vat
    return pc


def _shown(amount: Decimal, lang: str, currency: str) -> str:
    text = f"{amount:.2f} {currency}"
    return text if lang == "en" else text.replace(".", ",")


def _alt_text(
    name: str, langs: tuple[str, ...], currency: str, vat: Decimal, **prices: Decimal
) -> list[dict[str, str]]:
    out = []
    for lang in langs:
        shown = {k: _shown(_incl(v, vat), lang, currency) for k, v in prices.items()}
        out.append({"language": lang, "text": _ALT_TEXT[name][lang].format(**shown)})
    return out


def _tariff_body(
    name: str, rng: random.Random, vat: Decimal, langs: tuple[str, ...], currency: str
) -> dict[str, Any]:
    """The template-specific fields of one Tariff (elements, type, prices, texts)."""
    if name == "ac_simple":
        e = _money(rng, 35)
        return {
            "type": "REGULAR",
            "tariff_alt_text": _alt_text(name, langs, currency, vat, e=e),
            "elements": [{"price_components": [_pc("ENERGY", e, vat)]}],
        }
    if name == "dc_fast_session_fee":
        e, f = _money(rng, 59), _money(rng, 99)
        return {
            "elements": [
                {"price_components": [_pc("FLAT", f, vat)]},
                {"price_components": [_pc("ENERGY", e, vat)]},
            ],
        }
    if name == "ac_energy_time_step":
        # Deliberately shows step_size (TIME billed per 15 min); E-221-11 advises 1 otherwise.
        e, t = _money(rng, 25), _money(rng, 120)
        return {
            "tariff_alt_text": _alt_text(name, langs, currency, vat, e=e, t=t),
            "elements": [
                {"price_components": [_pc("ENERGY", e, vat), _pc("TIME", t, vat, 900)]},
            ],
        }
    if name == "ac_parking_time_of_day":
        e, p = _money(rng, 32), _money(rng, 200)
        return {
            "type": "REGULAR",
            "tariff_alt_text": _alt_text(name, langs, currency, vat, e=e, p=p),
            "elements": [
                {"price_components": [_pc("ENERGY", e, vat)]},
                {
                    "price_components": [_pc("PARKING_TIME", p, vat)],
                    "restrictions": {
                        "start_time": "09:00",
                        "end_time": "18:00",
                        "day_of_week": list(_WEEKDAYS),
                    },
                },
                {
                    "price_components": [_pc("PARKING_TIME", p, vat)],
                    "restrictions": {
                        "start_time": "10:00",
                        "end_time": "17:00",
                        "day_of_week": ["SATURDAY"],
                    },
                },
            ],
        }
    if name == "dc_power_volume":
        # Cheaper up to 50 kW; above it, the first 40 kWh cost more than the rest.
        slow, fast, bulk = _money(rng, 45), _money(rng, 62), _money(rng, 52)
        return {
            "type": "PROFILE_FAST",
            "elements": [
                {
                    "price_components": [_pc("ENERGY", slow, vat)],
                    "restrictions": {"max_power": Decimal("50.00")},
                },
                {
                    "price_components": [_pc("ENERGY", fast, vat)],
                    "restrictions": {"max_kwh": Decimal("40.00")},
                },
                {
                    "price_components": [_pc("ENERGY", bulk, vat)],
                    "restrictions": {"min_kwh": Decimal("40.00")},
                },
            ],
        }
    if name == "free_of_charge":
        return {
            "tariff_alt_text": _alt_text(name, langs, currency, vat),
            "elements": [{"price_components": [_pc("FLAT", Decimal("0.00"), None)]}],
        }
    if name == "ac_min_max_price":
        e = _money(rng, 29)
        lo, hi = _money(rng, 50), _money(rng, 2500)
        return {
            "type": "PROFILE_CHEAP",
            "min_price": {"excl_vat": lo, "incl_vat": _incl(lo, vat)},
            "max_price": {"excl_vat": hi, "incl_vat": _incl(hi, vat)},
            "elements": [{"price_components": [_pc("ENERGY", e, vat)]}],
        }
    if name == "dc_idle_fee":
        e, idle = _money(rng, 55), _money(rng, 600)
        return {
            "type": "PROFILE_FAST",
            "elements": [
                {"price_components": [_pc("ENERGY", e, vat), _pc("PARKING_TIME", idle, vat)]},
            ],
        }
    if name == "ac_green":
        e = _money(rng, 39)
        return {
            "type": "PROFILE_GREEN",
            "elements": [{"price_components": [_pc("ENERGY", e, vat)]}],
            "energy_mix": {
                "is_green_energy": True,
                "energy_sources": [
                    {"source": "WIND", "percentage": 70},
                    {"source": "SOLAR", "percentage": 30},
                ],
                "supplier_name": "Demo Green Power",
                "energy_product_name": "100% Wind & Sun",
            },
        }
    if name == "dc_ad_hoc":
        e, f = _money(rng, 69), _money(rng, 35)
        hi = _money(rng, 9900)
        return {
            "type": "AD_HOC_PAYMENT",
            "tariff_alt_text": _alt_text(name, langs, currency, vat, e=e, f=f),
            "max_price": {"excl_vat": hi, "incl_vat": _incl(hi, vat)},
            "elements": [
                {"price_components": [_pc("FLAT", f, vat), _pc("ENERGY", e, vat)]},
            ],
        }
    raise AssertionError(name)  # pragma: no cover


def _base_time(last_updated: datetime | None) -> datetime | None:
    if last_updated is not None and last_updated.tzinfo is None:
        return last_updated.replace(tzinfo=UTC)
    return last_updated


def generate_tariffs(
    count: int,
    *,
    seed: int = 0,
    country_code: str = "NL",
    party_id: str = "RKT",
    currency: str = "EUR",
    last_updated: datetime | None = None,
) -> list[Tariff]:
    """``count`` Tariffs ``TARIFF-0001``... cycling through :data:`TARIFF_TEMPLATES`.

    The seed varies prices (±10 %) and ``last_updated``; VAT is the standard rate of
    ``country_code``. With ``last_updated`` given, every tariff carries exactly it.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(seed)
    fixed = _base_time(last_updated)
    vat = Decimal(_VAT.get(country_code.upper(), "21"))
    langs = ("en", _TARIFF_LANG.get(country_code.upper(), "de"))
    site = f"https://www.{party_id.lower()}-charging.example.com"
    out: list[Tariff] = []
    for i in range(count):
        name = TARIFF_TEMPLATES[i % len(TARIFF_TEMPLATES)][0]
        tariff_id = f"TARIFF-{i + 1:04d}"
        body = _tariff_body(name, rng, vat, langs, currency)
        lu = fixed or DEFAULT_LAST_UPDATED - timedelta(seconds=rng.randrange(_MAX_AGE_S))
        data: dict[str, Any] = {
            "country_code": country_code,
            "party_id": party_id,
            "id": tariff_id,
            "currency": currency,
            **body,
            "last_updated": lu,
        }
        if "tariff_alt_text" in body:
            data["tariff_alt_url"] = f"{site}/tariffs/{tariff_id.lower()}"
        out.append(Tariff.model_validate(data))
    return out


# --------------------------------------------------------------------------- locations


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    iso2: str
    country: str
    """ISO 3166-1 alpha-3."""
    lang: str
    tz: str
    lat: float
    lon: float
    winter_offset: int
    """UTC offset in hours around Christmas (for exceptional closings)."""
    postal: tuple[str, int, int]
    address_style: str
    """``sn`` "Street 12", ``ns`` "12 Street", ``sc`` "Street, 12"."""
    weight: int
    districts: tuple[str, ...]
    streets: tuple[str, ...]


_CITIES: tuple[_City, ...] = (
    _City("Amsterdam", "NL", "NLD", "nl", "Europe/Amsterdam", 52.370216, 4.895168, 1,
          ("nl", 1011, 1109), "sn", 4,
          ("Centrum", "De Pijp", "Jordaan", "Oost", "Westerpark", "Zuidas", "Noord"),
          ("Damrak", "Overtoom", "Ferdinand Bolstraat", "Javastraat", "Haarlemmerweg",
           "Amstelveenseweg", "Wibautstraat", "Buikslotermeerplein")),
    _City("Rotterdam", "NL", "NLD", "nl", "Europe/Amsterdam", 51.924420, 4.477733, 1,
          ("nl", 3011, 3089), "sn", 3,
          ("Centrum", "Kralingen", "Feijenoord", "Delfshaven", "Hillegersberg"),
          ("Coolsingel", "Weena", "Blaak", "Schiedamseweg", "Kralingseweg",
           "Beijerlandselaan")),
    _City("Utrecht", "NL", "NLD", "nl", "Europe/Amsterdam", 52.090737, 5.121420, 1,
          ("nl", 3511, 3585), "sn", 2,
          ("Binnenstad", "Lombok", "Overvecht", "Leidsche Rijn", "Kanaleneiland"),
          ("Oudegracht", "Biltstraat", "Amsterdamsestraatweg", "Vleutenseweg", "Europalaan")),
    _City("Den Haag", "NL", "NLD", "nl", "Europe/Amsterdam", 52.070498, 4.300700, 1,
          ("nl", 2511, 2597), "sn", 2,
          ("Centrum", "Scheveningen", "Statenkwartier", "Bezuidenhout", "Segbroek"),
          ("Lange Voorhout", "Laan van Meerdervoort", "Prinsegracht", "Fahrenheitstraat",
           "Koningin Julianaplein")),
    _City("Eindhoven", "NL", "NLD", "nl", "Europe/Amsterdam", 51.441642, 5.469722, 1,
          ("nl", 5611, 5658), "sn", 1,
          ("Centrum", "Strijp", "Woensel", "Gestel", "Tongelre"),
          ("Stratumseind", "Kennedylaan", "Boschdijk", "Vestdijk", "Strijpsestraat")),
    _City("Brussels", "BE", "BEL", "fr", "Europe/Brussels", 50.850346, 4.351721, 1,
          ("num4", 1000, 1210), "sn", 2,
          ("Centre", "Ixelles", "Etterbeek", "Schaerbeek", "Uccle"),
          ("Rue de la Loi", "Avenue Louise", "Boulevard Anspach", "Chaussée de Wavre",
           "Rue Royale")),
    _City("Antwerpen", "BE", "BEL", "nl", "Europe/Brussels", 51.219448, 4.402464, 1,
          ("num4", 2000, 2660), "sn", 1,
          ("Centrum", "Berchem", "Zuid", "Eilandje", "Deurne"),
          ("Meir", "Frankrijklei", "Italiëlei", "Turnhoutsebaan", "Kattendijkdok")),
    _City("Gent", "BE", "BEL", "nl", "Europe/Brussels", 51.054342, 3.717424, 1,
          ("num4", 9000, 9052), "sn", 1,
          ("Centrum", "Gentbrugge", "Sint-Amandsberg", "Ledeberg", "Mariakerke"),
          ("Korenmarkt", "Kortrijksesteenweg", "Sint-Pietersnieuwstraat", "Dampoortstraat")),
    _City("Berlin", "DE", "DEU", "de", "Europe/Berlin", 52.520008, 13.404954, 1,
          ("num5", 10115, 14199), "sn", 3,
          ("Mitte", "Kreuzberg", "Prenzlauer Berg", "Charlottenburg", "Friedrichshain"),
          ("Friedrichstraße", "Kurfürstendamm", "Karl-Marx-Allee", "Torstraße",
           "Schönhauser Allee", "Potsdamer Straße")),
    _City("München", "DE", "DEU", "de", "Europe/Berlin", 48.137154, 11.576124, 1,
          ("num5", 80331, 81929), "sn", 2,
          ("Altstadt", "Schwabing", "Maxvorstadt", "Haidhausen", "Sendling"),
          ("Leopoldstraße", "Sonnenstraße", "Landsberger Straße", "Rosenheimer Straße",
           "Ludwigstraße")),
    _City("Hamburg", "DE", "DEU", "de", "Europe/Berlin", 53.551086, 9.993682, 1,
          ("num5", 20095, 22769), "sn", 2,
          ("Altona", "St. Pauli", "Eimsbüttel", "HafenCity", "Winterhude"),
          ("Mönckebergstraße", "Jungfernstieg", "Eppendorfer Landstraße", "Elbchaussee",
           "Osterstraße")),
    _City("Köln", "DE", "DEU", "de", "Europe/Berlin", 50.937531, 6.960279, 1,
          ("num5", 50667, 51149), "sn", 1,
          ("Altstadt", "Ehrenfeld", "Deutz", "Lindenthal", "Nippes"),
          ("Hohe Straße", "Aachener Straße", "Venloer Straße", "Deutzer Freiheit",
           "Neusser Straße")),
    _City("Paris", "FR", "FRA", "fr", "Europe/Paris", 48.856613, 2.352222, 1,
          ("num5", 75001, 75020), "ns", 3,
          ("Le Marais", "Montmartre", "Bastille", "Opéra", "Belleville"),
          ("Rue de Rivoli", "Boulevard Haussmann", "Avenue des Champs-Élysées",
           "Rue de la Roquette", "Boulevard de Sébastopol")),
    _City("Lyon", "FR", "FRA", "fr", "Europe/Paris", 45.764043, 4.835659, 1,
          ("num5", 69001, 69009), "ns", 1,
          ("Presqu'île", "Part-Dieu", "Confluence", "Croix-Rousse", "Vaise"),
          ("Rue de la République", "Cours Lafayette", "Avenue Jean Jaurès", "Quai Perrache")),
    _City("Wien", "AT", "AUT", "de", "Europe/Vienna", 48.208174, 16.373819, 1,
          ("step10", 1010, 1230), "sn", 2,
          ("Innere Stadt", "Leopoldstadt", "Favoriten", "Mariahilf", "Döbling"),
          ("Mariahilfer Straße", "Praterstraße", "Landstraßer Hauptstraße",
           "Wiedner Hauptstraße", "Favoritenstraße")),
    _City("København", "DK", "DNK", "da", "Europe/Copenhagen", 55.676098, 12.568337, 1,
          ("num4", 1050, 2450), "sn", 1,
          ("Indre By", "Nørrebro", "Vesterbro", "Østerbro", "Amager"),
          ("Nørrebrogade", "Vesterbrogade", "Amagerbrogade", "Østerbrogade", "Gothersgade")),
    _City("Stockholm", "SE", "SWE", "sv", "Europe/Stockholm", 59.329323, 18.068581, 1,
          ("se", 11120, 11860), "sn", 1,
          ("Norrmalm", "Södermalm", "Östermalm", "Kungsholmen", "Vasastan"),
          ("Drottninggatan", "Götgatan", "Sveavägen", "Kungsgatan", "Hornsgatan")),
    _City("Oslo", "NO", "NOR", "nb", "Europe/Oslo", 59.913869, 10.752245, 1,
          ("num4", 150, 1295), "sn", 2,
          ("Sentrum", "Grünerløkka", "Majorstuen", "Frogner", "Gamle Oslo"),
          ("Karl Johans gate", "Bogstadveien", "Trondheimsveien", "Grønlandsleiret",
           "Kirkeveien")),
    _City("Madrid", "ES", "ESP", "es", "Europe/Madrid", 40.416775, -3.703790, 1,
          ("num5", 28001, 28055), "sc", 1,
          ("Centro", "Salamanca", "Chamberí", "Retiro", "Tetuán"),
          ("Gran Vía", "Calle de Alcalá", "Paseo de la Castellana", "Calle de Serrano")),
    _City("Barcelona", "ES", "ESP", "es", "Europe/Madrid", 41.385064, 2.173403, 1,
          ("num5", 8001, 8042), "sc", 1,
          ("Eixample", "Gràcia", "Sants", "Poblenou", "Ciutat Vella"),
          ("Passeig de Gràcia", "Avinguda Diagonal", "Carrer d'Aragó",
           "Gran Via de les Corts Catalanes")),
    _City("Milano", "IT", "ITA", "it", "Europe/Rome", 45.464204, 9.189982, 1,
          ("num5", 20121, 20162), "sn", 1,
          ("Centro Storico", "Brera", "Navigli", "Porta Nuova", "Isola"),
          ("Corso Buenos Aires", "Via Torino", "Corso Como", "Viale Monza")),
    _City("Zürich", "CH", "CHE", "de", "Europe/Zurich", 47.376887, 8.541694, 1,
          ("num4", 8001, 8057), "sn", 1,
          ("Altstadt", "Oerlikon", "Wiedikon", "Seefeld", "Enge"),
          ("Bahnhofstrasse", "Langstrasse", "Seefeldstrasse", "Hardstrasse")),
    _City("Luxembourg", "LU", "LUX", "fr", "Europe/Luxembourg", 49.611622, 6.131935, 1,
          ("lu", 1009, 2999), "ns", 1,
          ("Ville-Haute", "Kirchberg", "Gare", "Limpertsberg", "Belair"),
          ("Avenue de la Liberté", "Boulevard Royal", "Route d'Arlon", "Rue de Hollerich")),
    _City("Lisboa", "PT", "PRT", "pt", "Europe/Lisbon", 38.722252, -9.139337, 0,
          ("pt", 1000, 1990), "sc", 1,
          ("Baixa", "Alfama", "Belém", "Parque das Nações", "Campo de Ourique"),
          ("Avenida da Liberdade", "Rua Augusta", "Avenida da República", "Rua de São Bento")),
    _City("Dublin", "IE", "IRL", "en", "Europe/Dublin", 53.349805, -6.260310, 0,
          ("ie", 1, 24), "ns", 1,
          ("Temple Bar", "Docklands", "Rathmines", "Ballsbridge", "Smithfield"),
          ("O'Connell Street", "Grafton Street", "Baggot Street", "Dame Street")),
)  # fmt: skip

_NL_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
_EIRCODE = "ACDEFHKNPRTVWXY0123456789"

_DIRECTIONS = {
    "en": "Level {f}, bay {r}",
    "nl": "Verdieping {f}, vak {r}",
    "de": "Ebene {f}, Stellplatz {r}",
    "fr": "Niveau {f}, place {r}",
    "da": "Etage {f}, plads {r}",
    "sv": "Plan {f}, plats {r}",
    "nb": "Etasje {f}, plass {r}",
    "es": "Planta {f}, plaza {r}",
    "it": "Piano {f}, posto {r}",
    "pt": "Piso {f}, lugar {r}",
}

_MUNICIPALITY = {
    "en": "{c} City Council",
    "nl": "Gemeente {c}",
    "de": "Stadt {c}",
    "fr": "Ville de {c}",
    "da": "{c} Kommune",
    "sv": "{c} stad",
    "nb": "{c} kommune",
    "es": "Ayuntamiento de {c}",
    "it": "Comune di {c}",
    "pt": "Câmara Municipal de {c}",
}

_SITE_TYPES = ("street", "garage", "retail", "hotel", "station", "office", "hub")
_SITE_CUM = tuple(accumulate((35, 14, 15, 6, 8, 8, 14)))
_FORCED_SITES = {0: "street", 1: "hub", 2: "retail", 3: "hotel"}
"""The first locations cover every feature even for tiny counts: index 2 has
exceptional closings, index 3 is unpublished (``publish_allowed_to``)."""

_FACILITIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "street": ((), (), ("BUS_STOP",), ("TRAM_STOP",), ("CAFE",)),
    "garage": (("MALL",), ("MUSEUM", "RESTAURANT"), ("SUPERMARKET",), ()),
    "retail": (("SUPERMARKET",), ("MALL", "CAFE"), ("SUPERMARKET", "PARKING_LOT")),
    "hotel": (("HOTEL", "RESTAURANT", "WIFI"), ("HOTEL", "WIFI")),
    "station": (("TRAIN_STATION", "BUS_STOP", "BIKE_SHARING"), ("TRAIN_STATION", "TAXI_STAND"),
                ("METRO_STATION", "CARPOOL_PARKING")),
    "office": ((), ("PARKING_LOT",)),
    "hub": (("FUEL_STATION", "RESTAURANT", "CAFE", "WIFI"), ("RESTAURANT", "WIFI"),
            ("SUPERMARKET", "CAFE")),
}  # fmt: skip

_NAMES = {
    "garage": "Parking {d}",
    "retail": "Shopping Centre {d}",
    "hotel": "Hotel {d}",
    "station": "P+R {d} Station",
    "office": "Business Park {d}",
    "hub": "Fast Charging Hub {d}",
}


def _hours(days: range, begin: str, end: str) -> list[dict[str, Any]]:
    return [{"weekday": d, "period_begin": begin, "period_end": end} for d in days]


_RETAIL_HOURS = [*_hours(range(1, 7), "08:00", "21:00"), *_hours(range(7, 8), "10:00", "18:00")]
_OFFICE_HOURS = _hours(range(1, 6), "07:00", "19:00")
_GARAGE_HOURS = _hours(range(1, 8), "06:00", "23:00")
_ALWAYS_OPEN = {"twentyfourseven": True}

# Connector profiles: standard, format, power_type, max_voltage, max_amperage, max power (W).
_AC_PROFILES = {
    "AC7": ("AC_1_PHASE", 230, 32, 7360),
    "AC11": ("AC_3_PHASE", 230, 16, 11000),
    "AC22": ("AC_3_PHASE", 230, 32, 22000),
}
_AC_CUM = tuple(accumulate((10, 45, 45)))
_DC_PROFILES = {
    "DC50": (500, 125, 50000),
    "DC150": (920, 200, 150000),
    "DC300": (1000, 400, 300000),
    "DC350": (1000, 500, 350000),
}
_DC_CUM = tuple(accumulate((35, 40, 15, 10)))
_CHADEMO = ("CHADEMO", "CABLE", "DC", 500, 125, 50000)
_AC43_CABLE = ("IEC_62196_T2", "CABLE", "AC_3_PHASE", 230, 63, 43000)

_AC_CAPS = (
    ("REMOTE_START_STOP_CAPABLE", "RFID_READER"),
    ("CHARGING_PROFILE_CAPABLE", "REMOTE_START_STOP_CAPABLE", "RFID_READER"),
    ("CHARGING_PROFILE_CAPABLE", "REMOTE_START_STOP_CAPABLE", "RESERVABLE", "RFID_READER"),
    ("CONTACTLESS_CARD_SUPPORT", "REMOTE_START_STOP_CAPABLE", "RFID_READER"),
)
_DC_CAPS = (
    ("CHARGING_PROFILE_CAPABLE", "CONTACTLESS_CARD_SUPPORT", "CREDIT_CARD_PAYABLE",
     "DEBIT_CARD_PAYABLE", "REMOTE_START_STOP_CAPABLE", "RFID_READER"),
    ("CONTACTLESS_CARD_SUPPORT", "CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "PED_TERMINAL",
     "REMOTE_START_STOP_CAPABLE", "RFID_READER", "START_SESSION_CONNECTOR_REQUIRED"),
)  # fmt: skip

_ENERGY_MIX = {
    "is_green_energy": True,
    "energy_sources": [
        {"source": "WIND", "percentage": 55},
        {"source": "SOLAR", "percentage": 35},
        {"source": "WATER", "percentage": 10},
    ],
    "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": 0}],
    "supplier_name": "Demo Green Power",
    "energy_product_name": "100% Renewable",
}


def _postal(rng: random.Random, spec: tuple[str, int, int]) -> str:
    kind, lo, hi = spec
    if kind == "nl":
        return f"{rng.randint(lo, hi)} {rng.choice(_NL_LETTERS)}{rng.choice(_NL_LETTERS)}"
    if kind == "num4":
        return f"{rng.randint(lo, hi):04d}"
    if kind == "num5":
        return f"{rng.randint(lo, hi):05d}"
    if kind == "step10":
        return str(rng.randrange(lo, hi + 1, 10))
    if kind == "se":
        n = rng.randint(lo, hi)
        return f"{n // 100} {n % 100:02d}"
    if kind == "lu":
        return f"L-{rng.randint(lo, hi)}"
    if kind == "pt":
        return f"{rng.randrange(lo, hi + 1, 10)}-{rng.randint(1, 999):03d}"
    if kind == "ie":
        tail = "".join(rng.choice(_EIRCODE) for _ in range(4))
        return f"D{rng.randint(lo, hi):02d} {tail}"
    raise AssertionError(kind)  # pragma: no cover


def _address(style: str, street: str, number: int) -> str:
    if style == "ns":
        return f"{number} {street}"
    if style == "sc":
        return f"{street}, {number}"
    return f"{street} {number}"


def _closings(offset_h: int) -> list[dict[str, Any]]:
    """Christmas Day, Boxing Day and New Year's Day 2026/27, local midnights in UTC."""
    out = []
    for day in (datetime(2026, 12, 25, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)):
        begin = day - timedelta(hours=offset_h)
        length = timedelta(days=2 if day.month == 12 else 1)
        out.append({"period_begin": begin, "period_end": begin + length})
    return out


def _tariff_pools(tariff_ids: list[str] | None) -> tuple[list[str], list[str], list[str]]:
    """AC, DC and free pools. Foreign ids go to both AC and DC; an empty pool falls
    back to the free ids, then to every id."""
    if not tariff_ids:
        return [], [], []
    ac, dc, free = [], [], []
    for tid in tariff_ids:
        kind = tariff_kind(tid)
        if kind == "ANY":
            free.append(tid)
        else:
            if kind != "DC":
                ac.append(tid)
            if kind != "AC":
                dc.append(tid)
    everything = list(tariff_ids)
    return ac or free or everything, dc or free or everything, free


def _check_counts(count: int, evses: int | None, connectors: int | None) -> None:
    if count < 0:
        raise ValueError("count must be >= 0")
    if evses is not None and evses < 0:
        raise ValueError("evses_per_location must be >= 0")
    if connectors is not None and connectors < 1:
        raise ValueError("connectors_per_evse must be >= 1 (an EVSE needs a connector)")


def iter_locations(
    count: int,
    *,
    seed: int = 0,
    country_code: str = "NL",
    party_id: str = "RKT",
    tariff_ids: list[str] | None = None,
    evses_per_location: int | None = None,
    connectors_per_evse: int | None = None,
    last_updated: datetime | None = None,
) -> Iterator[Location]:
    """Like :func:`generate_locations`, one Location at a time (same objects, same order)."""
    _check_counts(count, evses_per_location, connectors_per_evse)
    rng = random.Random(seed)
    fixed = _base_time(last_updated)
    cc, pid = country_code.upper(), party_id.upper()
    home = [c.weight * (4 if c.iso2 == cc else 1) for c in _CITIES]
    city_cum = tuple(accumulate(home))
    ac_pool, dc_pool, free_pool = _tariff_pools(tariff_ids)
    operator_name = f"{pid} Charging"
    operator = {
        "name": operator_name,
        "website": f"https://www.{party_id.lower()}-charging.example.com",
    }
    closings = {c.winter_offset: _closings(c.winter_offset) for c in _CITIES}

    choice, rand, randint, randrange = rng.choice, rng.random, rng.randint, rng.randrange
    for i in range(count):
        no = i + 1
        city = rng.choices(_CITIES, cum_weights=city_cum)[0]
        site = _FORCED_SITES.get(i) or rng.choices(_SITE_TYPES, cum_weights=_SITE_CUM)[0]
        district, street = choice(city.districts), choice(city.streets)
        spread = 0.15 if site == "hub" else 0.045
        lat = city.lat + (rand() * 2 - 1) * spread
        lon = city.lon + (rand() * 2 - 1) * spread * 1.6
        lat_s, lon_s = f"{lat:.6f}", f"{lon:.6f}"
        loc_lu = fixed or DEFAULT_LAST_UPDATED - timedelta(seconds=randrange(_MAX_AGE_S))

        # Site layout: parking type, hours, publication.
        if site == "street":
            name, parking = f"{district} - {street}", "ON_STREET"
        else:
            name = _NAMES[site].format(d=district)
            if site == "garage":
                parking = choice(("PARKING_GARAGE", "UNDERGROUND_GARAGE"))
            elif site == "hotel":
                parking = choice(("PARKING_LOT", "UNDERGROUND_GARAGE"))
            elif site == "hub":
                parking = "ALONG_MOTORWAY" if rand() < 0.5 else "PARKING_LOT"
            else:
                parking = "PARKING_LOT"
        hours: dict[str, Any] = _ALWAYS_OPEN
        charging_when_closed: bool | None = None
        r = rand()
        if i == 2 or (site == "retail" and r < 0.75):
            hours = {"twentyfourseven": False, "regular_hours": _RETAIL_HOURS}
            charging_when_closed = False
        elif site == "office" and r < 0.6:
            hours = {"twentyfourseven": False, "regular_hours": _OFFICE_HOURS}
            charging_when_closed = False
        elif site == "garage" and r < 0.4:
            hours = {"twentyfourseven": False, "regular_hours": _GARAGE_HOURS}
            charging_when_closed = True
        if not hours["twentyfourseven"] and (i == 2 or rand() < 0.1):
            hours = {**hours, "exceptional_closings": closings[city.winter_offset]}

        private = {"hotel": 0.3, "office": 0.2}.get(site, 0.01)
        publish = not (i == 3 or rand() < private)

        # Tariffs for this site: one AC and one DC tariff, or all free.
        free = bool(free_pool) and rand() < {"hotel": 0.4, "office": 0.15}.get(site, 0.01)
        ac_tariff = [choice(free_pool if free else ac_pool)] if ac_pool else None
        dc_tariff = [choice(free_pool if free else dc_pool)] if dc_pool else None

        # EVSEs.
        n_evse = evses_per_location
        if n_evse is None:
            n_evse = randint(2, 4) if site == "hub" else choice((1, 2, 2, 2, 3, 4))
        ac_key = rng.choices(tuple(_AC_PROFILES), cum_weights=_AC_CUM)[0]
        ac_power, ac_v, ac_a, ac_w = _AC_PROFILES[ac_key]
        ac_format = "SOCKET" if rand() < 0.8 else "CABLE"
        dc_key = rng.choices(tuple(_DC_PROFILES), cum_weights=_DC_CUM)[0]
        dc_v, dc_a, dc_w = _DC_PROFILES[dc_key]
        ccs = ("IEC_62196_T2_COMBO", "CABLE", "DC", dc_v, dc_a, dc_w)
        dc_layout = (ccs, _CHADEMO, _AC43_CABLE)
        other_format = "CABLE" if ac_format == "SOCKET" else "SOCKET"
        ac_layout = (
            ("IEC_62196_T2", ac_format, ac_power, ac_v, ac_a, ac_w),
            ("IEC_62196_T2", other_format, ac_power, ac_v, ac_a, ac_w),
        )
        has_dc = site == "hub" or (site == "retail" and (i == 2 or rand() < 0.3))
        indoor = parking in ("PARKING_GARAGE", "UNDERGROUND_GARAGE")
        floor = choice(("-1", "-2", "0", "1")) if indoor else None
        caps_ac = choice(_AC_CAPS)

        evses = []
        for k in range(1, n_evse + 1):
            dc = site == "hub" or (has_dc and k == 1)
            if connectors_per_evse is not None:
                n_conn = connectors_per_evse
            elif dc:
                n_conn = choice((1, 2, 2, 3)) if dc_key == "DC50" else choice((1, 1, 1, 2))
            else:
                n_conn = 1 if rand() < 0.85 else 2
            layout = dc_layout if dc else ac_layout
            evse_lu = loc_lu if fixed or k == 1 else loc_lu - timedelta(seconds=randrange(604800))
            connectors = []
            for j in range(n_conn):
                std, fmt, power, volt, amp, watt = layout[j % len(layout)]
                conn: dict[str, Any] = {
                    "id": str(j + 1),
                    "standard": std,
                    "format": fmt,
                    "power_type": power,
                    "max_voltage": volt,
                    "max_amperage": amp,
                    "max_electric_power": watt,
                    "last_updated": evse_lu,
                }
                tariff = dc_tariff if power == "DC" else ac_tariff
                if tariff is not None:
                    conn["tariff_ids"] = tariff
                connectors.append(conn)
            r = rand()
            status = (
                "AVAILABLE" if r < 0.72
                else "CHARGING" if r < 0.91
                else "OUTOFORDER" if r < 0.96
                else "BLOCKED" if r < 0.98
                else "INOPERATIVE"
            )  # fmt: skip
            evse: dict[str, Any] = {
                "uid": f"EVSE-{no:06d}-{k}",
                "evse_id": f"{cc}*{pid}*E{no:06d}*{k}",
                "status": status,
                "capabilities": choice(_DC_CAPS) if dc else caps_ac,
                "connectors": connectors,
                "physical_reference": str(k),
                "last_updated": evse_lu,
            }
            if floor is not None:
                evse["floor_level"] = floor
                ref = f"{floor}.{k:02d}"
                evse["directions"] = [
                    {"language": lang, "text": _DIRECTIONS[lang].format(f=floor, r=ref)}
                    for lang in dict.fromkeys(("en", city.lang))
                ]
            if site == "hub":
                evse["coordinates"] = {
                    "latitude": f"{lat + k * 0.00002:.6f}",
                    "longitude": f"{lon + k * 0.00003:.6f}",
                }
            if site in ("hotel", "retail"):
                evse["parking_restrictions"] = ["CUSTOMERS"]
            elif site == "street":
                evse["parking_restrictions"] = ["EV_ONLY"]
            elif k == 1 and site in ("garage", "station"):
                evse["parking_restrictions"] = ["EV_ONLY", "DISABLED"]
            evses.append(evse)

        facilities = choice(_FACILITIES[site])
        data: dict[str, Any] = {
            "country_code": country_code,
            "party_id": party_id,
            "id": f"LOC-{no:06d}",
            "publish": publish,
            "name": name,
            "address": _address(city.address_style, street, randint(1, 250)),
            "city": city.name,
            "postal_code": _postal(rng, city.postal),
            "country": city.country,
            "coordinates": {"latitude": lat_s, "longitude": lon_s},
            "parking_type": parking,
            "evses": evses or None,
            "operator": operator,
            "facilities": facilities or None,
            "time_zone": city.tz,
            "opening_times": hours,
            "last_updated": loc_lu,
        }
        if charging_when_closed is not None:
            data["charging_when_closed"] = charging_when_closed
        if not publish:
            data["publish_allowed_to"] = [
                {"group_id": f"{pid}-GUESTS-{no:06d}"},
                {
                    "visual_number": f"{cc}-{pid}-C{randint(10**7, 10**8 - 1)}",
                    "issuer": operator_name,
                },
                {"uid": f"{randrange(16**14):014X}", "type": "RFID"},
            ]
        if site == "street":
            data["owner"] = {"name": _MUNICIPALITY[city.lang].format(c=city.name)}
        if rand() < 0.3:
            data["energy_mix"] = _ENERGY_MIX
        yield Location.model_validate(data)


def generate_locations(
    count: int,
    *,
    seed: int = 0,
    country_code: str = "NL",
    party_id: str = "RKT",
    tariff_ids: list[str] | None = None,
    evses_per_location: int | None = None,
    connectors_per_evse: int | None = None,
    last_updated: datetime | None = None,
) -> list[Location]:
    """``count`` Locations ``LOC-000001``... spread over 25 European cities.

    EVSEs per location are 1-4 (2-4 at DC hubs) and connectors per EVSE 1-3 unless
    fixed by ``evses_per_location`` / ``connectors_per_evse``. EVSE uids
    (``EVSE-000001-1``) and eMI3 ``evse_id``s (``NL*RKT*E000001*1``) are unique in the
    dataset. With ``tariff_ids``, every connector references one of them: AC
    connectors AC tariffs and DC connectors DC tariffs as classified by
    :func:`tariff_kind` (foreign ids fit both). With ``last_updated`` given, every
    object carries exactly it; otherwise up to 30 days before
    :data:`DEFAULT_LAST_UPDATED`, children never newer than their Location.
    """
    locations = iter_locations(
        count,
        seed=seed,
        country_code=country_code,
        party_id=party_id,
        tariff_ids=tariff_ids,
        evses_per_location=evses_per_location,
        connectors_per_evse=connectors_per_evse,
        last_updated=last_updated,
    )
    with gc_paused():
        return list(locations)
