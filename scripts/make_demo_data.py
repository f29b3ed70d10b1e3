#!/usr/bin/env python3
"""Regenerate acgate's shipped demo data set: Syarikat Demo Edaran Sdn Bhd (company `demo`).

    python scripts/make_demo_data.py [--out DIR]

Writes into src/acgate/demo/data/ (or DIR): the AutoCount master data export (master.xlsx and
master.json), the company's rules (rules/demo.yaml), the source documents of every scenario step
(documents/*.jsonl|json|csv|xlsx), the scenario itself (scenario.yaml) and EXPECTED.md, which says
per finding code which documents are meant to raise it and why.

Everything comes from one `random.Random(2611)` and fixed tables, so two runs write the same bytes.
Money is Decimal throughout and leaves this script as text.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook

SEED = 2611
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "src" / "acgate" / "demo" / "data"
CENT = Decimal("0.01")
TZ = "+08:00"
ZIP_TIME = (2026, 11, 1, 0, 0, 0)

SGD_RATE = Decimal("3.2500")
USD_RATE = Decimal("4.2000")
FX = {"SGD": SGD_RATE, "USD": USD_RATE}

# AutoCount tax codes and the words the source systems use for them.
TAX_RATES = {"S-10": Decimal("0.10"), "S-5": Decimal("0.05"), "SV-6": Decimal("0.06"),
             "SV-8": Decimal("0.08"), "E": Decimal("0")}
TAX_WORD = {"S-10": "SST10", "S-5": "SST5", "SV-6": "SV6", "SV-8": "SV8", "E": "EXEMPT"}
# What the sources believe a tax word is worth (GST6 is the pre-2018 GST code an old template
# still sends: AutoCount no longer has it).
SOURCE_TAX_RATE = {**{TAX_WORD[c]: r for c, r in TAX_RATES.items()}, "GST6": Decimal("0.06")}

TERMS = ["C.O.D.", "7 DAYS", "14 DAYS", "30 DAYS", "60 DAYS", "90 DAYS"]
TERMS_WORD = {"C.O.D.": "cod", "7 DAYS": "7 days", "14 DAYS": "14 days", "30 DAYS": "30 days",
              "60 DAYS": "60 days", "90 DAYS": "90 days"}
AGENTS = ["AHMAD", "MEILING", "RAJ", "SITI", "WONG", "HOUSE"]
PROJECTS = ["YEAREND26", "DEEPAVALI26", "CNY27"]
DEPARTMENTS = ["RETAIL", "WHOLESALE", "ECOM", "EXPORT"]
LOCATIONS = ["HQ", "PG", "JB", "KL"]
BRANCH_WORD = {"HQ": "Shah Alam", "PG": "Penang", "JB": "Johor Bahru", "KL": "Kuala Lumpur"}
SO_APPROVERS = ["mei.ling", "ahmad.faiz", "kavitha.r"]
PO_APPROVERS = ["farid.purchasing", "jessica.tan"]


def copy(payload: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON-shaped payload."""
    copied: dict[str, Any] = json.loads(json.dumps(payload))
    return copied


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def dec(value: Decimal) -> str:
    """A decimal as text without float noise or trailing zeros beyond what it says."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def day(number: int, month: int = 11) -> str:
    return f"2026-{month:02d}-{number:02d}"


def stamp(date: str, hour: int, minute: int = 0) -> str:
    return f"{date}T{hour:02d}:{minute:02d}:00{TZ}"


# --- master data --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class City:
    name: str
    postcode: str
    state: str
    area: str  # telephone area code
    location: str  # the AutoCount location that serves it
    streets: tuple[str, ...]


CITIES = [
    City("Shah Alam", "40150", "Selangor", "03", "HQ",
         ("Jalan Kristal 7/2, Seksyen 7", "Jalan Plumbum P7/P, Seksyen 7", "Jalan Pelabur 23/1")),
    City("Petaling Jaya", "47300", "Selangor", "03", "HQ",
         ("Jalan SS 2/55", "Jalan 51A/223", "Jalan PJS 11/28, Bandar Sunway")),
    City("Klang", "41050", "Selangor", "03", "HQ",
         ("Jalan Kapar, Taman Sri Andalas", "Jalan Meru, Taman Klang Utama")),
    City("Kuala Lumpur", "55100", "Wilayah Persekutuan", "03", "KL",
         ("Jalan Pudu", "Jalan Tun Razak", "Jalan Kuchai Lama", "Jalan Ipoh, Batu 3")),
    City("Cheras", "56000", "Wilayah Persekutuan", "03", "KL",
         ("Jalan Manis 4, Taman Segar", "Jalan Cheras, Taman Connaught")),
    City("Seremban", "70200", "Negeri Sembilan", "06", "KL",
         ("Jalan Dato' Bandar Tunggal", "Jalan Rasah, Taman Bukit Kaya")),
    City("Melaka", "75200", "Melaka", "06", "KL",
         ("Jalan Bendahara", "Jalan Hang Tuah", "Jalan Bukit Baru")),
    City("George Town", "10200", "Pulau Pinang", "04", "PG",
         ("Lebuh Chulia", "Jalan Burma", "Lebuh Pantai", "Jalan Macalister")),
    City("Bukit Mertajam", "14000", "Pulau Pinang", "04", "PG",
         ("Jalan Kulim", "Jalan Arumugam Pillai")),
    City("Butterworth", "12300", "Pulau Pinang", "04", "PG",
         ("Jalan Raja Uda", "Jalan Bagan Luar")),
    City("Johor Bahru", "80250", "Johor", "07", "JB",
         ("Jalan Harimau Tarum, Taman Century", "Jalan Wong Ah Fook",
          "Jalan Sutera, Taman Sentosa")),
    City("Skudai", "81300", "Johor", "07", "JB",
         ("Jalan Hang Kasturi, Taman Universiti", "Jalan Pendidikan 3")),
    City("Senai", "81400", "Johor", "07", "JB",
         ("Jalan Kempas Lama", "Jalan Seelong")),
]
CITY = {city.name: city for city in CITIES}

# (name, city or country) -- curated so that no two look alike, except where the data wants it.
DEBTOR_NAMES: list[tuple[str, str]] = [
    ("Maju Jaya Trading", "Klang"),
    ("Pasaraya Sri Murni Sdn Bhd", "Shah Alam"),
    ("Kedai Runcit Ah Seng", "Petaling Jaya"),
    ("Syarikat Perniagaan Lim Bersaudara", "George Town"),
    ("Pasar Mini Keluarga Bahagia", "Seremban"),
    ("Restoran Nasi Kandar Pelita Emas", "George Town"),
    ("Kedai Runcit Muthu & Sons", "Klang"),
    ("Hock Lee Provision Shop", "Butterworth"),
    ("Kedai Serbaguna Nurul Iman", "Shah Alam"),
    ("Eng Hin Sundry Shop", "Bukit Mertajam"),
    ("Pasaraya Segar Mart Sdn Bhd", "Johor Bahru"),
    ("Kafe Kopitiam Lama Sdn Bhd", "Kuala Lumpur"),
    ("Guan Seng Wholesale Sdn Bhd", "Johor Bahru"),
    ("Restoran Selera Kampung", "Melaka"),
    ("Kedai Runcit Pak Mat", "Kuala Lumpur"),
    ("Ban Heng Trading Sdn Bhd", "Skudai"),
    ("Sri Ganesh Minimarket", "Petaling Jaya"),
    ("Chop Wah Kee Provision", "Cheras"),
    ("Bintang Fresh Mart Sdn Bhd", "Shah Alam"),
    ("Pusat Borong Anak Negeri Sdn Bhd", "Kuala Lumpur"),
    ("Koperasi Sekolah Seri Aman Berhad", "Seremban"),
    ("Hotel Damai Inn Sdn Bhd", "Melaka"),
    ("Katering Mak Long Enterprise", "Shah Alam"),
    ("Tong Fatt Provision Store", "George Town"),
    ("Lian Hup Trading Company", "Senai"),
    ("Kedai Runcit Siti Aminah", "Klang"),
    ("Pasaraya Hijrah Sdn Bhd", "Kuala Lumpur"),
    ("Restoran Tom Yam Corner", "Cheras"),
    ("Seng Kee Minimart", "Johor Bahru"),
    ("Kedai Runcit Kampung Baru", "Kuala Lumpur"),
    ("Wong Brothers Sundry Sdn Bhd", "Butterworth"),
    ("Pasaraya Econ Jimat Sdn Bhd", "Skudai"),
    ("Kafe Teh Tarik Bangsar", "Kuala Lumpur"),
    ("Restoran Nyonya Heritage", "Melaka"),
    ("Hup Lee Grocery", "Bukit Mertajam"),
    ("Sinar Harapan Minimarket", "Petaling Jaya"),
    ("Kedai Borong Rahmat", "Shah Alam"),
    ("Tai Fook Provision Sdn Bhd", "Johor Bahru"),
    ("Pusat Dagangan Anggerik", "Shah Alam"),
    ("Chong Kee Frozen & Dry Goods", "Cheras"),
    ("Kedai Runcit Raju", "Seremban"),
    ("Cahaya Bulan Mart", "Senai"),
    ("Restoran Mamak Bestari", "Petaling Jaya"),
    ("Ah Huat Kopitiam", "George Town"),
    ("Perniagaan Mesra Setia", "Melaka"),
    ("Kedai Runcit Pulau Tikus", "George Town"),
    ("Pusat Borong Teluk Intan", "Klang"),
    ("Syarikat Kwong Hing", "Kuala Lumpur"),
    ("Happy Family Minimarket", "Johor Bahru"),
    ("Kedai Runcit Tan Bee Lian", "Bukit Mertajam"),
    ("Lim Brothers Trading Pte Ltd", "SG"),
    ("Kopi Corner Singapore Pte Ltd", "SG"),
    ("Sunrise Foods Pte Ltd", "SG"),
    ("Golden Harvest General Trading LLC", "AE"),
    ("Pacific Asia Foods Ltd", "HK"),
]
FOREIGN = {
    "SG": ("SGD", "+65 6{a} {b}", "Singapore",
           ("Tai Seng Avenue", "Ubi Road 1", "Jurong Port Road")),
    "AE": ("USD", "+971 4 {a} {b}", "Dubai, United Arab Emirates",
           ("Al Ras Street, Deira", "Sheikh Zayed Road")),
    "HK": ("USD", "+852 2{a} {b}", "Hong Kong", ("Des Voeux Road West", "Wing Lok Street")),
}

CREDITOR_NAMES: list[tuple[str, str, str]] = [
    # (code, name, city or country)
    ("400-A001", "Air Pergunungan Sejati Sdn Bhd", "Seremban"),
    ("400-B001", "Borneo Spice Trading Sdn Bhd", "Klang"),
    ("400-C001", "CleanPro Detergent Industries Sdn Bhd", "Shah Alam"),
    ("400-G001", "Golden Palm Edible Oils Sdn Bhd", "Klang"),
    ("400-K001", "Kilang Kicap Cap Ayam Sdn Bhd", "Bukit Mertajam"),
    ("400-K002", "Kilang Beras Pertama Sdn Bhd", "Butterworth"),
    ("400-L001", "Logistik Pantas Sdn Bhd", "Shah Alam"),
    ("400-M001", "Mee Segera Mewah Sdn Bhd", "Senai"),
    ("400-N001", "Nusantara Snack Foods Sdn Bhd", "Johor Bahru"),
    ("400-P001", "Pembekal Runcit Utama Sdn Bhd", "Kuala Lumpur"),
    ("400-S001", "Sinar Beverage Industries Sdn Bhd", "Petaling Jaya"),
    ("400-T001", "Tisu Lembut Manufacturing Sdn Bhd", "Skudai"),
    ("400-V001", "Vietnam Coffee Export JSC", "VN"),
]

# code|description|PCS sell price|AutoCount tax code|UOM profile (P, PB, PC, PBC; blank: random)
CATALOGUE = """\
BEV-1001|Kopi-O Premix 3-in-1 20x20g|9.90|S-10|
BEV-1002|Kopi-O Premix 3-in-1 40x20g|18.50|S-10|
BEV-1003|White Coffee 3-in-1 15x40g|12.90|S-10|
BEV-1004|White Coffee 2-in-1 Kurang Manis 15x35g|12.50|S-10|
BEV-1005|Teh Tarik Premix 15x30g|11.90|S-10|
BEV-1006|Teh Tarik Premix 30x30g|22.50|S-10|
BEV-1007|Teh Uncang Cap Kebun 100s|8.20|S-10|
BEV-1008|Teh Hijau Uncang 25s|5.60|S-10|
BEV-1009|Minuman Coklat Malt 1kg|24.90|S-10|
BEV-1010|Minuman Coklat Malt 2kg|46.90|S-10|PC
BEV-1011|Air Mineral 500ml|0.95|S-5|PC
BEV-1012|Air Mineral 1.5L|1.70|S-5|PC
BEV-1013|Minuman Soya 250ml|1.30|S-5|PC
BEV-1014|Minuman Soya 1L|3.90|S-5|
BEV-1015|Jus Oren 1L|6.50|S-10|
BEV-1016|Minuman Isotonik 500ml|2.60|S-10|PC
BEV-1017|Susu Pekat Manis 500g|4.20|E|PBC
BEV-1018|Susu Sejat Penuh Krim 390g|3.60|E|PBC
BEV-1019|Kopi Tongkat Ali 20x25g|16.90|S-10|
BEV-1020|Kordial Sirap Bandung 2L|7.80|S-10|
GRO-2001|Beras Wangi 5kg|26.50|E|P
GRO-2002|Beras Wangi 10kg|51.00|E|P
GRO-2003|Beras Basmathi 5kg|39.90|E|P
GRO-2004|Gula Pasir Halus 1kg|2.85|E|PC
GRO-2005|Gula Pasir Halus 2kg|5.60|E|PC
GRO-2006|Tepung Gandum Serbaguna 1kg|2.70|E|PC
GRO-2007|Tepung Beras 500g|2.30|E|
GRO-2008|Tepung Jagung 400g|3.10|S-5|
GRO-2009|Minyak Masak Sawit 1kg|6.90|E|PBC
GRO-2010|Minyak Masak Sawit 2kg|13.50|E|PC
GRO-2011|Minyak Masak Sawit 5kg|32.50|E|P
GRO-2012|Kicap Manis 340ml|3.40|S-5|PBC
GRO-2013|Kicap Manis 2L|13.90|S-5|PB
GRO-2014|Kicap Masin 340ml|3.20|S-5|PBC
GRO-2015|Sos Cili 340g|3.80|S-5|PBC
GRO-2016|Sos Cili 2kg|14.50|S-5|PB
GRO-2017|Sos Tomato 340g|3.60|S-5|
GRO-2018|Sos Tiram 510g|7.20|S-5|
GRO-2019|Garam Halus 500g|1.10|E|PC
GRO-2020|Santan Kotak 200ml|2.40|S-5|PBC
GRO-2021|Sardin Dalam Sos Tomato 155g|3.50|S-5|PBC
GRO-2022|Sardin Dalam Sos Tomato 425g|7.90|S-5|
GRO-2023|Mi Segera Perisa Kari 5x80g|4.90|S-5|PC
GRO-2024|Mi Segera Perisa Ayam 5x75g|4.60|S-5|PC
GRO-2025|Mi Segera Tom Yam 5x80g|4.90|S-5|
GRO-2026|Bihun Jagung 400g|3.20|E|
GRO-2027|Kuey Teow Kering 400g|3.40|E|
GRO-2028|Rempah Kari Daging 250g|5.80|S-5|
GRO-2029|Rempah Kari Ikan 250g|5.80|S-5|
GRO-2030|Belacan Asli 250g|6.50|S-5|
GRO-2031|Ikan Bilis Gred A 500g|18.90|E|PB
GRO-2032|Kacang Dal 1kg|7.40|E|
GRO-2033|Bawang Goreng 200g|5.20|S-5|
GRO-2034|Serbuk Cili 250g|5.30|S-5|
GRO-2035|Mentega Kacang 340g|8.90|S-10|
GRO-2036|Jem Strawberi 450g|7.50|S-10|
GRO-2037|Kaya Pandan 400g|6.20|S-5|
GRO-2038|Marjerin 480g|6.80|S-5|
SNK-3001|Biskut Krim Kraker 450g|5.90|S-5|PBC
SNK-3002|Biskut Marie 300g|3.80|S-5|
SNK-3003|Biskut Kelapa 400g|4.50|S-5|
SNK-3004|Wafer Coklat 20x15g|8.50|S-10|
SNK-3005|Kerepek Ubi Pedas 60g|1.50|S-5|PC
SNK-3006|Kerepek Pisang 80g|1.90|S-5|PC
SNK-3007|Kacang Goreng Bersalut 150g|3.20|S-5|
SNK-3008|Keropok Ikan Terengganu 200g|6.90|S-5|
SNK-3009|Coklat Susu Bar 40g|2.20|S-10|PBC
SNK-3010|Gula-gula Mentol 150g|4.30|S-10|
SNK-3011|Roti Kaya Gulung 6s|3.50|S-5|PB
SNK-3012|Kek Lapis Sarawak Mini 250g|12.90|S-5|PB
HSH-4001|Sabun Pencuci Pinggan Limau 900ml|4.90|S-10|PBC
HSH-4002|Sabun Pencuci Pinggan Limau 3.5L|15.90|S-10|PB
HSH-4003|Serbuk Pencuci 2kg|14.90|S-10|
HSH-4004|Serbuk Pencuci 5kg|33.90|S-10|P
HSH-4005|Cecair Pencuci Pakaian 3.6kg|24.90|S-10|PB
HSH-4006|Pelembut Fabrik 2L|12.50|S-10|
HSH-4007|Cecair Pencuci Lantai Pine 2L|8.90|S-10|
HSH-4008|Pencuci Tandas 500ml|5.50|S-10|
HSH-4009|Tisu Muka 4x150s|8.90|S-10|PBC
HSH-4010|Tisu Tandas 10 Gulung|13.90|S-10|PB
HSH-4011|Tisu Dapur 2 Gulung|6.50|S-10|
HSH-4012|Beg Sampah Hitam L 30s|5.90|S-10|
HSH-4013|Beg Sampah Hitam XL 20s|6.90|S-10|
HSH-4014|Ubat Nyamuk Lingkar 10s|4.80|S-10|PBC
HSH-4015|Span Pencuci Pinggan 3s|2.90|S-10|
HSH-4016|Kertas Aluminium 7.6m|6.90|S-10|
HSH-4017|Bekas Makanan Plastik 50s|9.50|S-10|
HSH-4018|Pinggan Kertas 9in 50s|7.80|S-10|
PCR-5001|Syampu Herba 400ml|12.90|S-10|
PCR-5002|Sabun Mandi Antibakteria 4x90g|7.90|S-10|PBC
PCR-5003|Ubat Gigi Herba 2x150g|9.90|S-10|
PCR-5004|Berus Gigi Lembut 3s|6.50|S-10|
PCR-5005|Losyen Badan 200ml|11.90|S-10|
PCR-5006|Cecair Pembersih Tangan 500ml|8.50|S-10|
PCR-5007|Bedak Sejuk 100g|4.20|S-10|
PCR-5008|Pencuci Muka 100g|10.90|S-10|
PCR-5009|Tuala Wanita 16s|6.90|E|
PCR-5010|Lampin Pakai Buang M 60s|42.90|E|P
SVC-9001|Caj Penghantaran (Delivery Charges)|35.00|SV-6|P
SVC-9002|Sewa Peti Sejuk Paparan (Chiller Rental)|150.00|SV-8|P
"""

SUPPLIER_BY_WORD = [
    ("Kopi", "400-V001"), ("Coffee", "400-V001"), ("Air Mineral", "400-A001"),
    ("Beras", "400-K002"), ("Minyak", "400-G001"), ("Marjerin", "400-G001"),
    ("Kicap", "400-K001"), ("Sos ", "400-K001"), ("Mi Segera", "400-M001"),
    ("Bihun", "400-M001"), ("Kuey Teow", "400-M001"), ("Rempah", "400-B001"),
    ("Belacan", "400-B001"), ("Serbuk Cili", "400-B001"), ("Bawang", "400-B001"),
    ("Kacang Dal", "400-B001"), ("Tisu", "400-T001"), ("Caj Penghantaran", "400-L001"),
]
SUPPLIER_BY_PREFIX = {"BEV": "400-S001", "GRO": "400-P001", "SNK": "400-N001",
                      "HSH": "400-C001", "PCR": "400-C001", "SVC": "400-L001"}


@dataclass(slots=True)
class Uom:
    uom: str
    rate: int
    price: Decimal
    purchase_price: Decimal


@dataclass(slots=True)
class Item:
    code: str
    description: str
    tax_code: str
    uoms: list[Uom]
    supplier: str
    active: bool = True
    base_uom: str = "PCS"

    def uom(self, name: str) -> Uom:
        return next(u for u in self.uoms if u.uom == name)

    def has(self, name: str) -> bool:
        return any(u.uom == name for u in self.uoms)


@dataclass(slots=True)
class PartyRec:
    code: str
    name: str
    tin: str
    brn: str
    email: str
    phone: str
    address: str
    currency: str
    terms: str
    city: str
    active: bool = True
    source_code: str | None = None  # the shopfront's code, when the shop maps its own

    @property
    def location(self) -> str:
        city = CITY.get(self.city)
        return city.location if city else "HQ"


@dataclass(slots=True)
class Master:
    debtors: list[PartyRec]
    creditors: list[PartyRec]
    items: list[Item]

    def debtor(self, code: str) -> PartyRec:
        return next(p for p in self.debtors if p.code == code)

    def creditor(self, code: str) -> PartyRec:
        return next(p for p in self.creditors if p.code == code)

    def item(self, code: str) -> Item:
        return next(i for i in self.items if i.code == code)


def _slug(name: str) -> str:
    words = re.sub(r"[^a-z0-9 ]", "", name.lower()).split()
    drop = {"sdn", "bhd", "pte", "ltd", "berhad", "llc", "company", "enterprise", "jsc"}
    return "".join(w for w in words if w not in drop)[:22]


def _phone(rng: random.Random, area: str, mobile: bool) -> str:
    if mobile:
        prefix = rng.choice(["012", "013", "016", "017", "019", "011"])
        return f"{prefix}-{rng.randint(200, 999)} {rng.randint(1000, 9999)}"
    if area == "03":
        return f"03-{rng.randint(3000, 9999)} {rng.randint(1000, 9999)}"
    return f"{area}-{rng.randint(200, 699)} {rng.randint(1000, 9999)}"


def _identifiers(rng: random.Random, name: str, foreign: str | None) -> tuple[str, str]:
    """(TIN, BRN) as LHDN and SSM issue them."""
    year = rng.randint(1988, 2022)
    if foreign is not None:
        uen = f"{year}{rng.randint(10000, 99999)}{rng.choice('KMNRZ')}"
        # LHDN's generic TIN for a foreign buyer (EI00000000030 is a foreign supplier's).
        return "EI00000000020", uen if foreign == "SG" else f"{rng.randint(1000000, 9999999)}"
    if any(word in name for word in ("Sdn Bhd", "Berhad")):
        tin = f"C{rng.randint(1, 2)}{rng.randint(100000000, 999999999)}"
        return tin, f"{year}01{rng.randint(0, 999999):06d}"
    return f"IG{rng.randint(10000000000, 99999999999)}", f"{year}03{rng.randint(0, 999999):06d}"


def make_master(rng: random.Random) -> Master:
    debtors: list[PartyRec] = []
    per_letter: dict[str, int] = {}
    for name, where in DEBTOR_NAMES:
        letter = name[0].upper()
        per_letter[letter] = per_letter.get(letter, 0) + 1
        code = f"300-{letter}{per_letter[letter]:03d}"
        foreign = where if where in FOREIGN else None
        tin, brn = _identifiers(rng, name, foreign)
        if foreign is not None:
            currency, phone_form, country, streets = FOREIGN[foreign]
            phone = phone_form.format(a=rng.randint(100, 999), b=rng.randint(1000, 9999))
            address = f"{rng.randint(1, 120)} {rng.choice(streets)}, {country}"
            email = f"purchasing@{_slug(name)}.com"
            terms = rng.choice(["30 DAYS", "60 DAYS"])
        else:
            city = CITY[where]
            currency = "MYR"
            mobile = "Sdn Bhd" not in name and rng.random() < 0.45
            phone = _phone(rng, city.area, mobile)
            address = (f"No. {rng.randint(1, 88)}, {rng.choice(city.streets)}, "
                       f"{city.postcode} {city.name}, {city.state}")
            if "Sdn Bhd" in name or "Berhad" in name:
                email = f"accounts@{_slug(name)}.com.my"
            else:
                email = f"{_slug(name)}@gmail.com"
            terms = rng.choice(["C.O.D.", "7 DAYS", "14 DAYS", "30 DAYS", "30 DAYS", "60 DAYS"])
        debtors.append(PartyRec(code, name, tin, brn, email, phone, address, currency, terms,
                                where))
    # The shop maps its own customer numbers for most debtors; ten key accounts were set up in
    # the shop with their AutoCount codes (identity mapping).
    order = list(range(len(debtors)))
    rng.shuffle(order)
    unmapped = {i for i in order[:10] if debtors[i].currency == "MYR" and i > 1}
    number = 0
    for index, debtor in enumerate(debtors):
        if index in unmapped:
            continue
        number += 1
        debtor.source_code = f"CUST-{number:04d}"

    creditors: list[PartyRec] = []
    for code, name, where in CREDITOR_NAMES:
        foreign = where if where == "VN" else None
        if foreign:
            tin, brn = "EI00000000030", f"03{rng.randint(10000000, 99999999)}"
            creditors.append(PartyRec(
                code, name, tin, brn, "export@vncoffee-export.vn", "+84 28 3822 5617",
                "42 Nguyen Hue Boulevard, District 1, Ho Chi Minh City, Vietnam", "USD",
                "30 DAYS", where))
            continue
        city = CITY[where]
        tin, brn = _identifiers(rng, name, None)
        creditors.append(PartyRec(
            code, name, tin, brn, f"sales@{_slug(name)}.com.my", _phone(rng, city.area, False),
            f"Lot {rng.randint(100, 9999)}, {rng.choice(city.streets)}, {city.postcode} "
            f"{city.name}, {city.state}", "MYR", rng.choice(["30 DAYS", "60 DAYS", "90 DAYS"]),
            where))

    items: list[Item] = []
    for row in CATALOGUE.strip().splitlines():
        code, description, price_text, tax, profile = row.split("|")
        pcs_price = Decimal(price_text)
        cost_ratio = Decimal(rng.choice(["0.68", "0.70", "0.72", "0.75", "0.78"]))
        pcs_cost = money(pcs_price * cost_ratio)
        if not profile:
            profile = rng.choice(["PBC", "PBC", "PBC", "PC", "PC", "PB", "P"])
        rates: list[tuple[str, int]] = [("PCS", 1)]
        if "B" in profile:
            box = rng.choice([6, 12]) if "C" in profile else rng.choice([6, 10, 12])
            rates.append(("BOX", box))
        if "C" in profile:
            rates.append(("CTN", rng.choice([24, 24, 48, 72])))
        uoms = [Uom(name, rate, pcs_price * rate, Decimal(pcs_cost) * rate)
                for name, rate in rates]
        supplier = next((s for word, s in SUPPLIER_BY_WORD if word in description),
                        SUPPLIER_BY_PREFIX[code[:3]])
        items.append(Item(code, description, tax, uoms, supplier))
    # Four discontinued lines stay in AutoCount, inactive.
    for code in ("BEV-1008", "GRO-2027", "SNK-3010", "HSH-4016"):
        next(i for i in items if i.code == code).active = False
    return Master(debtors, creditors, items)


def write_master(master: Master, out: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    party_columns = ["code", "name", "tin", "brn", "email", "phone", "address", "currency",
                     "terms", "active"]
    for title, parties in (("Debtors", master.debtors), ("Creditors", master.creditors)):
        sheet = ws if title == "Debtors" else wb.create_sheet(title)
        sheet.title = title
        sheet.append(party_columns)
        for p in parties:
            sheet.append([p.code, p.name, p.tin, p.brn, p.email, p.phone, p.address, p.currency,
                          p.terms, p.active])
    sheet = wb.create_sheet("Items")
    sheet.append(["code", "description", "base_uom", "active", "tax_code"])
    for item in master.items:
        sheet.append([item.code, item.description, item.base_uom, item.active, item.tax_code])
    sheet = wb.create_sheet("ItemUOMs")
    sheet.append(["item_code", "uom", "rate", "price", "purchase_price"])
    for item in master.items:
        for u in item.uoms:
            sheet.append([item.code, u.uom, u.rate, money(u.price), money(u.purchase_price)])
    for title, values in (("Locations", LOCATIONS),):
        sheet = wb.create_sheet(title)
        sheet.append(["code"])
        for value in values:
            sheet.append([value])
    sheet = wb.create_sheet("TaxCodes")
    sheet.append(["code", "rate"])
    for code, rate in TAX_RATES.items():
        sheet.append([code, money(rate)])
    for title, values in (("Terms", TERMS), ("Agents", AGENTS), ("Projects", PROJECTS),
                          ("Departments", DEPARTMENTS)):
        sheet = wb.create_sheet(title)
        sheet.append(["code"])
        for value in values:
            sheet.append([value])
    save_workbook(wb, out / "master.xlsx")

    def party(p: PartyRec) -> dict[str, Any]:
        return {"code": p.code, "name": p.name, "tin": p.tin, "brn": p.brn, "email": p.email,
                "phone": p.phone, "address": p.address, "currency": p.currency,
                "terms": p.terms, "active": p.active}

    data = {
        "debtors": [party(p) for p in master.debtors],
        "creditors": [party(p) for p in master.creditors],
        "items": [
            {"code": i.code, "description": i.description, "base_uom": i.base_uom,
             "active": i.active, "tax_code": i.tax_code,
             "uoms": [{"uom": u.uom, "rate": str(u.rate), "price": money(u.price),
                       "purchase_price": money(u.purchase_price)} for u in i.uoms]}
            for i in master.items
        ],
        "locations": LOCATIONS,
        "tax_codes": [{"code": c, "rate": money(r)} for c, r in TAX_RATES.items()],
        "terms": TERMS,
        "agents": AGENTS,
        "projects": PROJECTS,
        "departments": DEPARTMENTS,
    }
    (out / "master.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps (openpyxl stamps `modified` with the clock; zip entries too)."""
    wb.properties.creator = "acgate demo generator"
    buffer = io.BytesIO()
    wb.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>2026-11-01T00:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)
    path.write_bytes(result.getvalue())


# --- rules --------------------------------------------------------------------------------------


def rules_yaml(master: Master) -> str:
    customer_map = "\n".join(
        f"    {p.source_code}: {p.code}" for p in master.debtors if p.source_code)
    return f"""\
# Readiness rules of Syarikat Demo Edaran Sdn Bhd (company `demo`), checked against its AutoCount
# book. Generated by scripts/make_demo_data.py. Status words and dates are quoted so that YAML
# never reads them as booleans or dates.
company: demo
name: Syarikat Demo Edaran Sdn Bhd
home_currency: MYR
timezone: Asia/Kuala_Lumpur
default_location: HQ
price_tolerance: "0.05"
max_wait: 72h

dates:
  fiscal_year_start: "2026-01-01"
  fiscal_year_end: "2026-12-31"
  locked_periods:
    - from: "2026-01-01"
      to: "2026-06-30"
  max_age_days: 120
  allow_future: false

duplicates:
  party_name_threshold: 90

types:
  sales_order:
    statuses:
      ready: ["approved", "ready_to_pick"]
      waiting: ["draft", "pending_approval"]
      cancelled: ["cancelled"]
      exception: ["exception", "on_hold"]
    approval_required: true
    timing: immediate
    version_policy: update
    cancel_policy: reverse
    unique_reference: true
    price_check: true
  delivery_order:
    statuses:
      ready: ["delivered", "partially_delivered"]
      waiting: ["ready_to_pick", "picking"]
      cancelled: ["cancelled"]
    timing: after_dependency
    version_policy: reverse
    cancel_policy: review
  sales_invoice:
    statuses:
      ready: ["ready_to_bill", "posted"]
      waiting: ["draft"]
      cancelled: ["cancelled", "void"]
    timing: after_dependency
    version_policy: review
    cancel_policy: block
    price_check: true
  credit_note:
    statuses:
      ready: ["approved"]
      waiting: ["draft"]
    timing: manual
    version_policy: block
    # A credit note waits for a person's release; give them a working week before it escalates.
    max_wait: 7d
  purchase_order:
    statuses:
      ready: ["approved"]
      waiting: ["draft", "pending_approval"]
    approval_required: true
    version_policy: new_document
  goods_received:
    statuses:
      ready: ["received"]
      waiting: ["pending"]
    unique_reference: true
  purchase_invoice:
    statuses:
      ready: ["approved", "posted"]
      waiting: ["draft"]
    timing: batch
    schedule: "0 18 * * *"
    unique_reference: true
  # Master documents are checked against AutoCount's master data (duplicate parties, UOM
  # rates) and tracked; accounts staff create debtors, creditors and items in AutoCount.
  customer:
    sync: false
    statuses:
      ready: ["active", "approved"]
      waiting: ["pending"]
  supplier:
    sync: false
    statuses:
      ready: ["active", "approved"]
      waiting: ["pending"]
  item:
    sync: false
    statuses:
      ready: ["active"]
      waiting: ["draft"]

mappings:
  # Source codes that equal an AutoCount code are accepted as they are for these tables.
  identity: [item, customer, supplier, terms, agent, project, department]
  # The shop numbers its own customers; key accounts use their AutoCount codes directly.
  customer:
{customer_map}
  item:
    SF-KOPIO-20: BEV-1001
    SF-TEHTARIK-15: BEV-1005
    SF-BERAS-5KG: GRO-2001
    SF-MINYAK-2KG: GRO-2010
  uom:
    carton: CTN
    ctn: CTN
    box: BOX
    pcs: PCS
    piece: PCS
    unit: PCS
  location:
    Shah Alam: HQ
    Penang: PG
    Johor Bahru: JB
    Kuala Lumpur: KL
  tax:
    SST10: S-10
    SST5: S-5
    SV6: SV-6
    SV8: SV-8
    EXEMPT: E
  terms:
    cod: C.O.D.
    7 days: 7 DAYS
    14 days: 14 DAYS
    30 days: 30 DAYS
    60 days: 60 DAYS
    90 days: 90 DAYS
"""


# --- documents ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Expectation:
    label: str
    reasons: dict[str, list[str]] = field(default_factory=dict)
    final: str | None = None
    first_file: str = ""


@dataclass(slots=True)
class Entry:
    payload: dict[str, Any]
    label: str


@dataclass(slots=True)
class Plan:
    files: dict[str, list[Entry]] = field(default_factory=dict)
    expectations: dict[str, Expectation] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, file: str, payload: dict[str, Any], codes: Iterable[str] = (), why: str = "",
            final: str | None = None, label: str | None = None) -> None:
        if label is None:
            label = f"{payload['source']}/{payload['type']}/{payload['id']}"
        self.files.setdefault(file, []).append(Entry(payload, label))
        expectation = self.expectations.setdefault(label, Expectation(label, first_file=file))
        version = payload.get("version")
        where = f"v{version}" if version is not None else str(payload.get("updated_at", ""))
        for code in codes:
            expectation.reasons.setdefault(code, []).append(f"{where} ({file}): {why}")
        if final is not None:
            expectation.final = final


def line(no: int, item: str, uom: str, qty: int | Decimal, price: Decimal | None = None, *,
         discount: str | None = None, tax: str | None = None, uom_rate: int | None = None,
         location: str | None = None, based_on: dict[str, Any] | None = None,
         description: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"line": no, "item": item}
    if description:
        entry["description"] = description
    entry["uom"] = uom
    entry["qty"] = dec(Decimal(qty))
    if price is not None:
        entry["unit_price"] = money(price)
    if uom_rate is not None:
        entry["uom_rate"] = str(uom_rate)
    if discount is not None:
        entry["discount"] = discount
    if tax is not None:
        entry["tax_code"] = tax
    if location is not None:
        entry["location"] = location
    if based_on is not None:
        entry["based_on_line"] = based_on
    return entry


def line_net(entry: dict[str, Any]) -> Decimal:
    gross = Decimal(entry["qty"]) * Decimal(entry.get("unit_price", "0"))
    discount = entry.get("discount")
    off = Decimal(0)
    if discount:
        off = gross * Decimal(discount[:-1]) / 100 if discount.endswith("%") else Decimal(discount)
    return (gross - off).quantize(CENT, rounding=ROUND_HALF_UP)


def compute_totals(lines: Sequence[dict[str, Any]],
                   rates: dict[str, Decimal] | None = None) -> dict[str, str]:
    """Subtotal, tax and total as a source computes them: per line, rounded per line."""
    rates = rates or SOURCE_TAX_RATE
    subtotal = tax = Decimal(0)
    for entry in lines:
        net = line_net(entry)
        subtotal += net
        if entry.get("tax_code"):
            tax += (net * rates[entry["tax_code"]]).quantize(CENT, rounding=ROUND_HALF_UP)
    return {"subtotal": money(subtotal), "tax": money(tax), "total": money(subtotal + tax)}


def party_ref(p: PartyRec, code: str | None = None, full: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"code": code or p.code, "name": p.name}
    if full:
        ref.update({"tin": p.tin, "brn": p.brn, "email": p.email, "phone": p.phone,
                    "address": p.address})
    return ref


def trade(source: str, doc_type: str, doc_id: str, *, status: str, date: str,
          party: dict[str, Any], lines: list[dict[str, Any]], version: int | None = 1,
          updated_at: str | None = None, approval: dict[str, Any] | None = None,
          currency: str | None = None, reference: str | None = None, branch: str | None = None,
          agent: str | None = None, project: str | None = None, department: str | None = None,
          terms: str | None = None, based_on: list[dict[str, Any]] | None = None,
          totals: dict[str, str] | None = None, with_totals: bool = True,
          notes: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"source": source, "type": doc_type, "id": doc_id}
    if version is not None:
        doc["version"] = version
    if updated_at is not None:
        doc["updated_at"] = updated_at
    doc["status"] = status
    if approval is not None:
        doc["approval"] = approval
    doc["date"] = date
    doc["party"] = party
    if currency is not None:
        doc["currency"] = currency
        doc["currency_rate"] = dec(FX[currency])
    for key, value in (("reference", reference), ("branch", branch), ("agent", agent),
                       ("project", project), ("department", department), ("terms", terms)):
        if value is not None:
            doc[key] = value
    if based_on:
        doc["based_on"] = based_on
    doc["lines"] = lines
    if totals is not None:
        doc["totals"] = totals
    elif with_totals:
        doc["totals"] = compute_totals(lines)
    if notes:
        doc["notes"] = notes
    return doc


@dataclass(slots=True)
class Order:
    """A sales order as the generator remembers it, to build its deliveries and invoices."""

    id: str
    customer: PartyRec
    date: str
    lines: list[dict[str, Any]]
    currency: str | None
    reference: str | None
    branch: str | None
    payload: dict[str, Any]


@dataclass(slots=True)
class Delivery:
    id: str
    order: Order
    lines: list[dict[str, Any]]  # each with "so_line"
    date: str


@dataclass(slots=True)
class Invoice:
    id: str
    payload: dict[str, Any]


class Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.master = make_master(self.rng)
        self.plan = Plan()
        self.so_no = 10000
        self.do_no = 50000
        self.inv_no = 20000
        self.cn_no = 30000
        self.po_no = 700
        self.grn_no = 88000
        self.pi_no = 300
        self.cpo_no = 4100
        self.over_second: Delivery | None = None

    # -- helpers -------------------------------------------------------------------------------

    def active_goods(self) -> list[Item]:
        return [i for i in self.master.items if i.active and not i.code.startswith("SVC")]

    def items_with(self, uom: str, rate: int | None = None) -> list[Item]:
        return [i for i in self.active_goods()
                if i.has(uom) and (rate is None or i.uom(uom).rate == rate)]

    def next_so(self) -> str:
        self.so_no += 1
        return f"SO-26-{self.so_no}"

    def next_do(self) -> str:
        self.do_no += 1
        return f"DO-WMS-{self.do_no}"

    def next_inv(self) -> str:
        self.inv_no += 1
        return f"INV-26-{self.inv_no}"

    def customer_po(self, customer: PartyRec) -> str:
        self.cpo_no += self.rng.randint(3, 40)
        initials = "".join(w[0] for w in customer.name.split()[:3]).upper()
        return f"{initials}-PO-{self.cpo_no}"

    def approval(self, date: str, version: int, hour: int | None = None,
                 by: str | None = None) -> dict[str, Any]:
        return {"by": by or self.rng.choice(SO_APPROVERS),
                "at": stamp(date, hour if hour is not None else 8, self.rng.randint(0, 59)),
                "version": version}

    def price_of(self, item: Item, uom: str, currency: str | None) -> Decimal:
        price = item.uom(uom).price
        if currency:
            return (price / FX[currency]).quantize(CENT, rounding=ROUND_HALF_UP)
        return price

    def uom_word(self, uom: str) -> str:
        words = {"PCS": ["PCS", "PCS", "pcs", "unit"], "BOX": ["BOX", "BOX", "box"],
                 "CTN": ["CTN", "CTN", "carton", "ctn"]}
        return self.rng.choice(words[uom])

    def random_qty(self, uom: str) -> int:
        if uom == "PCS":
            return self.rng.choice([6, 10, 12, 20, 24, 30, 36, 48])
        if uom == "BOX":
            return self.rng.randint(1, 10)
        return self.rng.randint(1, 5)

    def order_line(self, no: int, item: Item, currency: str | None, *, uom: str | None = None,
                   qty: int | None = None, item_code: str | None = None,
                   word: str | None = None) -> dict[str, Any]:
        uom = uom or self.rng.choice([u.uom for u in item.uoms])
        qty = qty if qty is not None else self.random_qty(uom)
        discount = self.rng.choice([None] * 6 + ["5%", "3%", "10%"])
        return line(no, item_code or item.code, word or self.uom_word(uom), qty,
                    self.price_of(item, uom, currency), discount=discount,
                    tax=TAX_WORD[item.tax_code], description=item.description)

    def customer_code(self, customer: PartyRec) -> str:
        return customer.source_code or customer.code

    def shop_customers(self, currency: str = "MYR") -> list[PartyRec]:
        return [d for d in self.master.debtors if d.currency == currency]

    def sales_order(self, *, customer: PartyRec | None = None, date: str,
                    lines: list[dict[str, Any]] | None = None, n_lines: int | None = None,
                    status: str = "approved", version: int = 1, approve: bool = True,
                    approval_version: int | None = None, reference: str | bool | None = None,
                    branch: str | bool | None = None, order_id: str | None = None,
                    currency: str | bool | None = None, approval_hour: int | None = None,
                    full_party: bool = False, **extra: Any) -> Order:
        """A sales order from the shop; None/False/True mean: choose / leave out / choose."""
        rng = self.rng
        customer = customer or rng.choice(self.shop_customers())
        if currency is None or currency is True:
            cur = customer.currency if customer.currency != "MYR" else None
        else:
            cur = currency or None
        if lines is None:
            count = n_lines or rng.choice([1, 1, 2, 2, 2, 3, 3, 4])
            chosen = rng.sample(self.active_goods(), count)
            lines = [self.order_line(i + 1, item, cur) for i, item in enumerate(chosen)]
        if reference is None:
            ref: str | None = self.customer_po(customer) if rng.random() < 0.6 else None
        elif reference is True:
            ref = self.customer_po(customer)
        else:
            ref = reference or None
        if branch is None:
            br: str | None = (BRANCH_WORD[customer.location] if rng.random() < 0.7 else None)
        elif branch is True:
            br = BRANCH_WORD[customer.location]
        else:
            br = branch or None
        if cur and br is None:
            br = "Shah Alam"
        department = "EXPORT" if cur else rng.choice(["ECOM", "ECOM", "WHOLESALE", "RETAIL"])
        extra.setdefault("department", department)
        extra.setdefault("agent", rng.choice(AGENTS))
        extra.setdefault("terms", TERMS_WORD[customer.terms] if rng.random() < 0.7
                         else customer.terms)
        order_id = order_id or self.next_so()
        approval = None
        if approve:
            approval = self.approval(date, approval_version or version, hour=approval_hour)
        payload = trade("shopfront", "sales_order", order_id, version=version, status=status,
                        approval=approval, date=date,
                        party=party_ref(customer, self.customer_code(customer), full_party),
                        currency=cur,
                        reference=ref, branch=br, lines=lines, **extra)
        return Order(order_id, customer, date, lines, cur, ref, br, payload)

    def revise(self, order: Order, *, version: int, status: str | None = None,
               lines: list[dict[str, Any]] | None = None, approval: dict[str, Any] | None = None,
               keep_approval: bool = False, **changes: Any) -> dict[str, Any]:
        payload = copy(order.payload)
        payload["version"] = version
        if status is not None:
            payload["status"] = status
        if lines is not None:
            payload["lines"] = lines
            payload["totals"] = compute_totals(lines)
        if approval is not None:
            payload["approval"] = approval
        elif not keep_approval:
            payload.pop("approval", None)
        payload.update(changes)
        return payload

    # -- deliveries ------------------------------------------------------------------------------

    def delivery(self, order: Order, date: str, portions: list[tuple[int, int | Decimal, str]],
                 *, status: str = "delivered", version: int = 1, delivery_id: str | None = None,
                 uom_rates: dict[int, int] | None = None, branch: str | None = None,
                 explicit_source: bool = True) -> tuple[Delivery, dict[str, Any]]:
        """A wms delivery order: (order line, qty, AutoCount UOM) per delivered portion."""
        rng = self.rng
        delivery_id = delivery_id or self.next_do()
        by_no = {entry["line"]: entry for entry in order.lines}
        lines: list[dict[str, Any]] = []
        for index, (so_line, qty, uom) in enumerate(portions, start=1):
            entry = by_no[so_line]
            item = self.master.item(self._autocount_item(entry["item"]))
            ref: dict[str, Any] = {"type": "sales_order", "id": order.id, "line": so_line}
            if explicit_source:
                ref["source"] = "shopfront"
            rate = None
            if uom_rates and index in uom_rates:
                rate = uom_rates[index]
            elif uom != "PCS" and rng.random() < 0.5:
                rate = item.uom(uom).rate
            lines.append(line(index, item.code, self.uom_word(uom), qty, uom_rate=rate,
                              based_on=ref, description=item.description))
        based_on: dict[str, Any] = {"type": "sales_order", "id": order.id}
        if explicit_source:
            based_on["source"] = "shopfront"
        customer = order.customer
        payload = trade("wms", "delivery_order", delivery_id, version=version, status=status,
                        date=date, party=party_ref(customer), currency=order.currency,
                        branch=branch or order.branch, based_on=[based_on], lines=lines,
                        with_totals=False)
        kept = [dict(entry, so_line=so_line) for entry, (so_line, _, _) in zip(lines, portions,
                                                                             strict=True)]
        return Delivery(delivery_id, order, kept, date), payload

    def _autocount_item(self, code: str) -> str:
        aliases = {"SF-KOPIO-20": "BEV-1001", "SF-TEHTARIK-15": "BEV-1005",
                   "SF-BERAS-5KG": "GRO-2001", "SF-MINYAK-2KG": "GRO-2010"}
        return aliases.get(code, code)

    @staticmethod
    def uom_of(word: str) -> str:
        return {"carton": "CTN", "ctn": "CTN", "box": "BOX", "pcs": "PCS", "piece": "PCS",
                "unit": "PCS"}.get(word.lower(), word.upper())

    def full_portions(self, order: Order) -> list[tuple[int, int | Decimal, str]]:
        return [(e["line"], Decimal(e["qty"]), self.uom_of(e["uom"])) for e in order.lines]

    # -- invoices --------------------------------------------------------------------------------

    def invoice(self, delivery: Delivery, date: str, *, invoice_id: str | None = None,
                status: str | None = None, version: int = 1, qty_override: dict[int, Decimal]
                | None = None, price_factor: dict[int, Decimal] | None = None,
                extra_lines: list[dict[str, Any]] | None = None,
                explicit_source: bool = True, totals: dict[str, str] | None = None
                ) -> dict[str, Any]:
        order = delivery.order
        by_no = {entry["line"]: entry for entry in order.lines}
        lines: list[dict[str, Any]] = []
        for entry in delivery.lines:
            so_entry = by_no[entry["so_line"]]
            item = self.master.item(entry["item"])
            uom = self.uom_of(entry["uom"])
            if self.uom_of(so_entry["uom"]) == uom:
                price = Decimal(so_entry["unit_price"])
            else:
                price = self.price_of(item, uom, order.currency)
            no = entry["line"]
            if price_factor and no in price_factor:
                price = (price * price_factor[no]).quantize(CENT, rounding=ROUND_HALF_UP)
            qty = qty_override.get(no, Decimal(entry["qty"])) if qty_override else \
                Decimal(entry["qty"])
            ref: dict[str, Any] = {"type": "delivery_order", "id": delivery.id, "line": no}
            if explicit_source:
                ref["source"] = "wms"
            lines.append(line(no, so_entry["item"], uom, qty, price,
                              discount=so_entry.get("discount"), tax=so_entry.get("tax_code"),
                              based_on=ref, description=item.description))
        if extra_lines:
            lines.extend(extra_lines)
        based_on: dict[str, Any] = {"type": "delivery_order", "id": delivery.id}
        if explicit_source:
            based_on["source"] = "wms"
        customer = order.customer
        return trade("shopfront", "sales_invoice", invoice_id or self.next_inv(), version=version,
                     status=status or self.rng.choice(["ready_to_bill", "posted"]), date=date,
                     party=party_ref(customer, self.customer_code(customer)),
                     currency=order.currency, reference=order.reference, branch=order.branch,
                     agent=order.payload.get("agent"), terms=order.payload.get("terms"),
                     based_on=[based_on], lines=lines, totals=totals)

    def delivery_charge(self, no: int, currency: str | None) -> dict[str, Any]:
        item = self.master.item("SVC-9001")
        return line(no, item.code, "PCS", 1, self.price_of(item, "PCS", currency),
                    tax=TAX_WORD[item.tax_code], description=item.description)

    # -- the story -------------------------------------------------------------------------------

    def build(self) -> Plan:
        step1 = self.step1_orders()
        masters = self.step1_masters()
        purchases = self.step1_purchase_orders()
        deliveries_a = self.step3_deliveries(step1)
        self.step3_updates(step1, masters, purchases)
        receipts = self.step3_receipts(purchases)
        invoices_a = self.step5_invoices(deliveries_a)
        batch_b = self.step5_orders(step1)
        self.step5_purchase_invoices(receipts)
        deliveries_b = self.step8_deliveries(deliveries_a, batch_b, receipts)
        self.step8_changes(deliveries_a, invoices_a)
        self.step8_credit_notes(invoices_a)
        self.step10_invoices(deliveries_b, invoices_a)
        return self.plan

    # Step 1 (2026-11-20 09:00): the shop's orders of the past week --------------------------

    def step1_orders(self) -> dict[str, Any]:
        rng, plan, f = self.rng, self.plan, "01-orders.jsonl"
        clean: list[Order] = []
        specials: list[tuple[dict[str, Any], list[str], str, str]] = []
        dates = [day(d) for d in range(13, 21)]

        def date() -> str:
            return rng.choice(dates)

        def hour_for(d: str) -> int:
            return 8 if d == day(20) else rng.randint(9, 17)

        # 40 clean orders, a few of them for the Singapore and export customers.
        foreign = [d for d in self.master.debtors if d.currency != "MYR" and d.source_code]
        for index in range(40):
            d = date()
            customer = foreign[index % len(foreign)] if index in (5, 17, 29) else None
            clean.append(self.sales_order(customer=customer, date=d, approval_hour=hour_for(d)))
        # Forced shapes the warehouse story needs (all clean orders in their own right).
        ctn24 = self.items_with("CTN", 24)
        box_items = [i for i in self.active_goods() if i.has("BOX") and i.uom("BOX").rate >= 6]
        shaped: dict[str, Order] = {}
        for role, item, uom, qty in (
            ("uom_change", ctn24[0], "CTN", 2),
            ("over", ctn24[1], "CTN", 2),
            ("cumulative_over", box_items[3], "BOX", 10),
            ("rate_mismatch_do", ctn24[2], "CTN", 3),
        ):
            d = date()
            customer = rng.choice(self.shop_customers())
            lines = [self.order_line(1, item, None, uom=uom, qty=qty, word=uom)]
            if role != "over":
                extra = rng.choice([i for i in self.active_goods() if i.code != item.code])
                lines.append(self.order_line(2, extra, None))
            order = self.sales_order(customer=customer, date=d, lines=lines,
                                     approval_hour=hour_for(d))
            shaped[role] = order
        for order in clean + list(shaped.values()):
            specials.append((order.payload, [], "", "synced"))

        # Problem orders.
        def add_problem(order: Order | dict[str, Any], codes: list[str], why: str,
                        final: str) -> None:
            payload = order.payload if isinstance(order, Order) else order
            specials.append((payload, codes, why, final))

        problems: dict[str, Order] = {}
        d = date()
        missing_lines = self.sales_order(date=d, approval_hour=hour_for(d))
        missing_lines.payload["lines"] = []
        missing_lines.payload.pop("totals", None)
        add_problem(missing_lines, ["INVALID_DOCUMENT"],
                    "the shop exported an order with no lines (lines: [])", "held")
        broken = self.sales_order(date=day(19), approval_hour=10)
        broken.payload.pop("id")
        broken.payload["date"] = "19/11/2026"
        add_problem(broken, ["INVALID_DOCUMENT"],
                    "no `id` and a date as 19/11/2026: refused at intake, nothing to hold", "")

        never = self.sales_order(date=day(16), status="draft", approve=False)
        problems["never_approved"] = never
        add_problem(never, ["STATUS_NOT_READY", "APPROVAL_MISSING", "WAIT_EXPIRED"],
                    "a draft nobody approves: waiting, then held when the 23 Nov 18:30 "
                    "re-check finds it waited over 72h", "held")
        for role in ("approve_later", "stale_edit", "cancel_unsynced"):
            order = self.sales_order(date=day(19), status="draft" if role != "approve_later"
                                     else "pending_approval", approve=False, reference=True)
            problems[role] = order
            add_problem(order, ["STATUS_NOT_READY", "APPROVAL_MISSING"],
                        "not yet approved in the shop when it first arrives", "")

        customer = rng.choice(self.shop_customers())
        order = self.sales_order(customer=customer, date=date(), status="on_hold")
        problems["on_hold"] = order
        add_problem(order, ["SOURCE_EXCEPTION"],
                    "the shop put the order on hold (customer over credit limit)", "held")
        order = self.sales_order(date=day(18), branch="Ipoh", approval_hour=11)
        problems["ipoh"] = order
        add_problem(order, ["LOCATION_UNMAPPED"],
                    "branch `Ipoh`: the new Ipoh depot is not yet an AutoCount location", "held")

        inactive = self.master.item("GRO-2027")
        d = date()
        lines = [self.order_line(1, self.rng.choice(self.active_goods()), None),
                 self.order_line(2, inactive, None, uom="PCS", qty=24)]
        add_problem(self.sales_order(date=d, lines=lines, approval_hour=hour_for(d)),
                    ["ITEM_INACTIVE"], "line 2 orders GRO-2027 Kuey Teow Kering, discontinued "
                    "(inactive) in AutoCount", "held")
        d = date()
        lines = [line(1, "SF-HAMPER-DEEPAVALI", "PCS", 5, Decimal("128.00"), tax="SST10",
                      description="Hamper Deepavali Istimewa (bundle)")]
        add_problem(self.sales_order(date=d, lines=lines, approval_hour=hour_for(d)),
                    ["ITEM_UNMAPPED"], "SF-HAMPER-DEEPAVALI is a shop-only hamper bundle with "
                    "no AutoCount item", "held")
        d = date()
        item = ctn24[3]
        lines = [line(1, item.code, "carton", 2, item.uom("CTN").price, uom_rate=12,
                      tax=TAX_WORD[item.tax_code], description=item.description)]
        add_problem(self.sales_order(date=d, lines=lines, approval_hour=hour_for(d)),
                    ["UOM_RATE_MISMATCH"], f"the shop says a carton of {item.code} holds 12; "
                    "AutoCount's CTN holds 24", "held")
        d = date()
        item = rng.choice([i for i in self.active_goods() if i.tax_code == "S-10"])
        lines = [line(1, item.code, "PCS", 12, item.uom("PCS").price, tax="GST6",
                      description=item.description)]
        add_problem(self.sales_order(date=d, lines=lines, approval_hour=hour_for(d)),
                    ["TAX_CODE_UNMAPPED"], "an old order template still sends GST6 (GST ended "
                    "2018); no AutoCount tax code", "held")
        d = date()
        add_problem(self.sales_order(date=d, agent="NURUL", approval_hour=hour_for(d)),
                    ["CODE_UNMAPPED"], "agent NURUL, a new salesperson not yet set up as an "
                    "AutoCount sales agent", "held")
        sgd = next(c for c in self.master.debtors if c.currency == "SGD")
        d = date()
        add_problem(self.sales_order(customer=sgd, date=d, currency=False, branch="Shah Alam",
                                     approval_hour=hour_for(d)),
                    ["CURRENCY_MISMATCH"], f"{sgd.name} is an SGD debtor, the order came in "
                    "without currency (so MYR)", "held")
        d = date()
        item = rng.choice(self.active_goods())
        uom = item.uoms[-1].uom
        cheap = (item.uom(uom).price * Decimal("0.85")).quantize(CENT, rounding=ROUND_HALF_UP)
        lines = [line(1, item.code, uom, 3, cheap, tax=TAX_WORD[item.tax_code],
                      description=item.description)]
        add_problem(self.sales_order(date=d, lines=lines, approval_hour=hour_for(d)),
                    ["PRICE_OUT_OF_TOLERANCE"], "unit price 15% under AutoCount's price for "
                    "the UOM (a sales rep's special price)", "held")
        add_problem(self.sales_order(date=day(15, 6), approval_hour=10),
                    ["DATE_OUT_OF_RANGE"], "dated 2026-06-15: in the locked period and older "
                    "than 120 days (a June order re-sent by the shop)", "held")
        add_problem(self.sales_order(date=day(5, 12), approval_hour=8),
                    ["DATE_OUT_OF_RANGE"], "dated 2026-12-05, after today (the requested "
                    "delivery date typed as the order date)", "held")
        d = date()
        bad_tax = self.sales_order(date=d, n_lines=2, approval_hour=hour_for(d))
        lines = bad_tax.payload["lines"]
        for entry in lines:
            entry["tax_code"] = "SST10"
        subtotal = sum((line_net(e) for e in lines), Decimal(0))
        tax6 = sum(((line_net(e) * Decimal("0.06")).quantize(CENT, rounding=ROUND_HALF_UP)
                    for e in lines), Decimal(0))
        bad_tax.payload["totals"] = {"subtotal": money(subtotal), "tax": money(tax6),
                                     "total": money(subtotal + tax6)}
        add_problem(bad_tax, ["TOTALS_MISMATCH"], "tax computed at 6% while the lines say "
                    "SST10 (10%)", "held")

        rng.shuffle(specials)
        for payload, codes, why, final in specials:
            label = None if "id" in payload else "shopfront/sales_order/(no id)"
            plan.add(f, payload, codes, why, final=final or None, label=label)
        return {"clean": clean, "shaped": shaped, "problems": problems}

    def step1_masters(self) -> dict[str, Any]:
        rng, plan, f = self.rng, self.plan, "02-masters.csv"
        m = self.master

        def customer_doc(doc_id: str, version: int, status: str, p: PartyRec, code: str,
                         **changes: Any) -> dict[str, Any]:
            doc: dict[str, Any] = {"source": "shopfront", "type": "customer", "id": doc_id,
                                   "version": version, "status": status, "code": code,
                                   "name": p.name, "tin": p.tin, "brn": p.brn, "email": p.email,
                                   "phone": p.phone, "address": p.address,
                                   "currency": p.currency, "terms": TERMS_WORD[p.terms]}
            doc.update(changes)
            return doc

        mapped = [d for d in m.debtors if d.source_code and d.currency == "MYR"]
        for p in rng.sample(mapped[2:], 5):
            city = CITY[p.city]
            new_phone = _phone(rng, city.area, rng.random() < 0.5)
            assert p.source_code is not None
            plan.add(f, customer_doc(p.source_code, rng.randint(2, 5), "active", p,
                                     p.source_code, phone=new_phone), final="synced")
        some = rng.choice(mapped[2:])
        assert some.source_code is not None
        plan.add(f, customer_doc(some.source_code, 4, "active", some, some.source_code,
                                 terms="45 days"),
                 ["CODE_UNMAPPED"], "credit terms `45 days`: no such AutoCount terms and no "
                 "mapping", final="held")
        new_customers = [
            ("CUST-0171", "Kedai Serbaneka Bintang Timur", "Kuala Lumpur", False),
            ("CUST-0172", "Dapur Mak Cik Ros Catering", "Shah Alam", False),
            ("CUST-0173", "Sunrise Café Bangsar Sdn Bhd", "Kuala Lumpur", True),
        ]
        for code, name, where, company in new_customers:
            city = CITY[where]
            tin, brn = _identifiers(rng, name, None)
            p = PartyRec(code, name, tin, brn,
                         f"{_slug(name)}@{'gmail.com' if not company else 'sunrisecafe.my'}",
                         _phone(rng, city.area, not company),
                         f"No. {rng.randint(1, 88)}, {rng.choice(city.streets)}, "
                         f"{city.postcode} {city.name}, {city.state}", "MYR", "C.O.D.", where)
            plan.add(f, customer_doc(code, 1, "active", p, code), final="synced")
        # Near duplicates of existing debtors.
        maju = m.debtors[0]
        twin = PartyRec("CUST-0174", "Maju-Jaya Trading Sdn Bhd", "", "",
                        "majujaya.trading@gmail.com", "+60 " + maju.phone[1:], maju.address,
                        "MYR", "30 DAYS", maju.city)
        doc = customer_doc("CUST-0174", 1, "active", twin, "CUST-0174")
        doc.pop("tin")
        doc.pop("brn")
        plan.add(f, doc, ["DUPLICATE_PARTY"], f"new shop customer `Maju-Jaya Trading Sdn Bhd` "
                 f"with {maju.code} Maju Jaya Trading's phone in +60 form", final="held")
        murni = m.debtors[1]
        twin = PartyRec("CUST-0175", "Pasaraya Sri Murni S/B", murni.tin[:1] + " " + murni.tin[1:],
                        murni.brn, "srimurni.pasaraya@gmail.com",
                        _phone(rng, "03", True), murni.address, "MYR", murni.terms, murni.city)
        plan.add(f, customer_doc("CUST-0175", 1, "active", twin, "CUST-0175"),
                 ["DUPLICATE_PARTY"], f"`Pasaraya Sri Murni S/B`: same TIN and BRN as "
                 f"{murni.code} Pasaraya Sri Murni Sdn Bhd", final="held")
        city = CITY["Klang"]
        pending = PartyRec("CUST-0176", "Kedai Runcit Haji Osman",
                           f"IG{rng.randint(10**10, 10**11)}",
                           f"2024030{rng.randint(10000, 99999)}", "", _phone(rng, "03", True),
                           f"No. 7, {city.streets[0]}, {city.postcode} Klang, Selangor", "MYR",
                           "C.O.D.", "Klang")
        doc = customer_doc("CUST-0176", 1, "pending", pending, "CUST-0176")
        doc.pop("email")
        plan.add(f, doc, ["STATUS_NOT_READY", "WAIT_EXPIRED"], "a web sign-up still `pending` "
                 "verification; never activated, so the 23 Nov 18:30 re-check expires it",
                 final="held")

        # Suppliers (procure keeps AutoCount creditor codes).
        def supplier_doc(p: PartyRec, code: str, version: int, status: str = "approved",
                         **changes: Any) -> dict[str, Any]:
            doc: dict[str, Any] = {"source": "procure", "type": "supplier", "id": code,
                                   "version": version, "status": status, "code": code,
                                   "name": p.name, "tin": p.tin, "brn": p.brn, "email": p.email,
                                   "phone": p.phone, "address": p.address,
                                   "currency": p.currency, "terms": p.terms}
            doc.update(changes)
            return doc

        for p in (m.creditor("400-G001"), m.creditor("400-N001")):
            plan.add(f, supplier_doc(p, p.code, 3, email=f"ar@{_slug(p.name)}.com.my"),
                     final="synced")
        city = CITY["Kuala Lumpur"]
        new_supplier = PartyRec("SUP-0050", "Kilang Roti Seri Pagi Sdn Bhd",
                                f"C2{rng.randint(10**8, 10**9 - 1)}",
                                f"201801{rng.randint(100000, 999999)}", "order@seripagi.com.my",
                                _phone(rng, "03", False),
                                f"Lot 12, Jalan Kuchai Lama, {city.postcode} Kuala Lumpur, "
                                "Wilayah Persekutuan", "MYR", "30 DAYS", "Kuala Lumpur")
        plan.add(f, supplier_doc(new_supplier, "SUP-0050", 1), final="synced")
        kicap = m.creditor("400-K001")
        twin = PartyRec("SUP-0051", "Kilang Kicap Cap Ayam S/B", kicap.tin, "",
                        "kicapcapayam@gmail.com", _phone(rng, "04", True), kicap.address, "MYR",
                        "30 DAYS", kicap.city)
        doc = supplier_doc(twin, "SUP-0051", 1)
        doc.pop("brn")
        plan.add(f, doc, ["DUPLICATE_PARTY"], f"a buyer keyed `Kilang Kicap Cap Ayam S/B` as a "
                 f"new supplier: same TIN as {kicap.code}", final="held")

        # Items (procure maintains the product catalogue).
        def item_doc(item: Item, version: int, status: str = "active",
                     **changes: Any) -> dict[str, Any]:
            doc: dict[str, Any] = {"source": "procure", "type": "item", "id": item.code,
                                   "version": version, "status": status, "code": item.code,
                                   "description": item.description, "base_uom": "PCS",
                                   "uoms": [{"uom": u.uom, "rate": str(u.rate)}
                                            for u in item.uoms],
                                   "tax_code": TAX_WORD[item.tax_code], "active": True}
            doc.update(changes)
            return doc

        updates = rng.sample([i for i in self.active_goods() if len(i.uoms) > 1], 4)
        for item in updates:
            plan.add(f, item_doc(item, rng.randint(2, 4),
                                 description=item.description.replace("Halus", "Halus Bertapis")),
                     final="synced")
        new_items = [
            Item("GRO-2101", "Sos Cili Api Extra Pedas 340g", "S-5",
                 [Uom("PCS", 1, Decimal("4.10"), Decimal("2.90")),
                  Uom("CTN", 24, Decimal("98.40"), Decimal("69.60"))], "400-K001"),
            Item("SNK-3101", "Kerepek Tempe Pedas Manis 100g", "S-5",
                 [Uom("PCS", 1, Decimal("2.90"), Decimal("2.00")),
                  Uom("CTN", 48, Decimal("139.20"), Decimal("96.00"))], "400-N001"),
        ]
        for item in new_items:
            plan.add(f, item_doc(item, 1), final="synced")
        draft_item = Item("BEV-1101", "Kopi Latte Ais Tin 240ml", "S-10",
                          [Uom("PCS", 1, Decimal("2.80"), Decimal("1.95")),
                           Uom("CTN", 24, Decimal("67.20"), Decimal("46.80"))], "400-S001")
        plan.add(f, item_doc(draft_item, 1, status="draft"), ["STATUS_NOT_READY"],
                 "a new item still in draft in procure (activated in step 3)", final="synced")
        wrong = next(i for i in self.items_with("CTN", 24)[4:] if i not in updates)
        doc = item_doc(wrong, 5, uoms=[{"uom": "PCS", "rate": "1"},
                                       {"uom": "carton", "rate": "12"}])
        plan.add(f, doc, ["UOM_RATE_MISMATCH"], f"procure's item card says a carton of "
                 f"{wrong.code} holds 12; AutoCount's CTN holds 24", final="held")
        legacy = rng.choice([i for i in self.active_goods() if i.tax_code == "S-10"
                             and i not in updates and i is not wrong])
        plan.add(f, item_doc(legacy, 3, tax_code="GST6"), ["TAX_CODE_UNMAPPED"],
                 "item card still carries the GST6 tax code", final="held")
        return {"draft_item": draft_item, "item_doc": item_doc}

    def step1_purchase_orders(self) -> dict[str, Any]:
        rng, plan, f = self.rng, self.plan, "03-purchase-orders.json"
        m = self.master
        orders: list[dict[str, Any]] = []
        suppliers = [c for c in m.creditors if c.code != "400-L001"]

        def purchase_order(supplier: PartyRec, date: str, *, status: str = "approved",
                           approve: bool = True, version: int = 1, code: str | None = None,
                           currency: str | None = None) -> dict[str, Any]:
            self.po_no += 1
            goods = [i for i in self.active_goods() if i.supplier == supplier.code]
            chosen = rng.sample(goods, min(len(goods), rng.choice([1, 2, 2, 3])))
            if currency is None:
                cur = supplier.currency if supplier.currency != "MYR" else None
            else:
                cur = currency if isinstance(currency, str) else None
            lines = []
            for index, item in enumerate(chosen, start=1):
                uom = item.uoms[-1].uom
                price = item.uom(uom).purchase_price
                if cur:
                    price = (price / FX[cur]).quantize(CENT, rounding=ROUND_HALF_UP)
                qty = rng.choice([5, 10, 20, 30, 50]) if uom != "PCS" else rng.choice([100, 200])
                lines.append(line(index, item.code, uom, qty, price,
                                  tax=TAX_WORD[item.tax_code], description=item.description))
            approval = ({"by": rng.choice(PO_APPROVERS), "at": stamp(date, 16, rng.randint(0, 59)),
                         "version": version} if approve else None)
            return trade("procure", "purchase_order", f"P26-{self.po_no:04d}", version=version,
                         status=status, approval=approval, date=date,
                         party=party_ref(supplier, code), currency=cur, branch="Shah Alam",
                         department="WHOLESALE", lines=lines)

        for index in range(16):
            supplier = suppliers[index % len(suppliers)]
            orders.append(purchase_order(supplier, day(rng.randint(12, 19))))
        for payload in orders:
            plan.add(f, payload, final="synced")
        pending = purchase_order(m.creditor("400-C001"), day(19), status="pending_approval",
                                 approve=False)
        plan.add(f, pending, ["STATUS_NOT_READY", "APPROVAL_MISSING", "WAIT_EXPIRED"],
                 "awaiting the purchasing manager, who is on leave: expires at the 23 Nov "
                 "18:30 re-check", final="held")
        unapproved = purchase_order(m.creditor("400-T001"), day(18), approve=False)
        plan.add(f, unapproved, ["APPROVAL_MISSING", "WAIT_EXPIRED"],
                 "status `approved` but procure sent no approval record; expires at the "
                 "23 Nov 18:30 re-check", final="held")
        unknown = purchase_order(m.creditor("400-B001"), day(19), code="SUP-0042")
        unknown["party"]["name"] = "Borneo Spice Trading"
        plan.add(f, unknown, ["PARTY_UNMAPPED"], "supplier code SUP-0042 is procure's own "
                 "number for 400-B001; no mapping (the suggestion names 400-B001)",
                 final="held")
        future = purchase_order(m.creditor("400-P001"), "2027-01-04")
        plan.add(f, future, ["DATE_OUT_OF_RANGE"], "dated 2027-01-04: outside fiscal year "
                 "2026 and in the future (a PO for January keyed early)", final="held")
        return {"orders": orders}

    # Step 3 (2026-11-21 09:00): the warehouse's deliveries, the shop's updates -------------

    def step3_deliveries(self, step1: dict[str, Any]) -> dict[str, Any]:
        rng, plan, f = self.rng, self.plan, "04-deliveries.jsonl"
        clean: list[Order] = list(step1["clean"])
        shaped: dict[str, Order] = step1["shaped"]
        problems: dict[str, Order] = step1["problems"]
        reserved = clean[:4]  # edited, re-priced, cancelled, broken in step 3 (05-updates)
        step1["reserved"] = reserved
        pool = clean[4:]
        full: list[Delivery] = []
        partial: list[Delivery] = []
        picking: list[tuple[Delivery, dict[str, Any]]] = []
        d21 = day(21)

        splittable = [o for o in pool if Decimal(o.lines[0]["qty"]) >= 2][:5]
        pool = splittable + [o for o in pool if o not in splittable]
        for order in pool[5:27]:
            delivery, payload = self.delivery(order, d21, self.full_portions(order),
                                              explicit_source=rng.random() < 0.8)
            full.append(delivery)
            plan.add(f, payload, final="synced")
        for order in pool[:5]:
            portions = self.full_portions(order)
            first_line, qty, uom = portions[0]
            cut = [(first_line, Decimal(int(qty) // 2), uom), *portions[1:]]
            delivery, payload = self.delivery(order, d21, cut, status="partially_delivered")
            partial.append(delivery)
            plan.add(f, payload, ["PARTIAL_DELIVERY"], f"delivers only part of {order.id}; "
                     "the rest follows on 24 Nov", final="synced")
        for order in pool[27:29]:
            delivery, payload = self.delivery(order, d21, self.full_portions(order),
                                              status="picking")
            picking.append((delivery, payload))
            plan.add(f, payload, ["STATUS_NOT_READY"], "still `picking` in the warehouse; "
                     "`delivered` arrives on 24 Nov", final="synced")
        order = pool[29]
        _, payload = self.delivery(order, d21, self.full_portions(order), status="in_transit")
        plan.add(f, payload, ["STATUS_UNKNOWN"], "the warehouse app's new status word "
                 "`in_transit` is in no list of delivery_order", final="held")
        order = pool[30]
        _, payload = self.delivery(order, d21, self.full_portions(order))
        payload["lines"][0]["qty"] = "-" + payload["lines"][0]["qty"]
        plan.add(f, payload, ["INVALID_DOCUMENT"], "negative quantity on line 1 (a return "
                 "keyed as a minus delivery): held with its raw payload", final="held")
        open_orders = pool[31:]  # nothing delivered yet

        order = shaped["uom_change"]
        item_line = order.lines[0]
        uom_change, payload = self.delivery(
            order, d21, [(1, Decimal(24), "PCS"), *self.full_portions(order)[1:]])
        partial.append(uom_change)
        plan.add(f, payload, ["PARTIAL_DELIVERY"], f"{order.id} line 1 ordered 2 CTN of "
                 f"{item_line['item']} (48 PCS); the warehouse delivers 24 PCS loose",
                 final="synced")
        order = shaped["over"]
        _, payload = self.delivery(order, d21, [(1, Decimal(3), "CTN")])
        plan.add(f, payload, ["OVER_FULFILMENT"], f"delivers 3 CTN against {order.id}'s 2 CTN",
                 final="held")
        order = shaped["cumulative_over"]
        cumulative, payload = self.delivery(
            order, d21, [(1, Decimal(6), "BOX"), *self.full_portions(order)[1:]],
            status="partially_delivered")
        partial.append(cumulative)
        plan.add(f, payload, ["PARTIAL_DELIVERY"], f"6 of {order.id}'s 10 BOX", final="synced")
        order = shaped["rate_mismatch_do"]
        _, payload = self.delivery(order, d21, self.full_portions(order), uom_rates={1: 48})
        plan.add(f, payload, ["UOM_RATE_MISMATCH"], "the warehouse's packing table says a CTN "
                 "holds 48; AutoCount's holds 24", final="held")

        # Deliveries for orders that are not synced.
        order = problems["approve_later"]
        before_approval, payload = self.delivery(order, d21, self.full_portions(order))
        plan.add(f, payload, ["DEPENDENCY_PENDING"], f"the warehouse shipped {order.id} before "
                 "the shop approved it (approval arrives later this step); syncs once the "
                 "order has", final="synced")
        for role in ("on_hold", "ipoh"):
            order = problems[role]
            # The Ipoh customer's goods left the KL depot (Ipoh has no stock yet).
            _, payload = self.delivery(order, d21, self.full_portions(order),
                                       branch="Kuala Lumpur" if role == "ipoh" else None)
            plan.add(f, payload, ["DEPENDENCY_PENDING", "WAIT_EXPIRED"], f"{order.id} is held "
                     "in acgate, so its delivery waits; the 25 Nov 18:30 re-check finds it waited "
                     "over 72h",
                     final="held")
        return {"full": full, "partial": partial, "picking": picking, "open": open_orders,
                "before_approval": before_approval, "uom_change": uom_change,
                "cumulative": cumulative}

    def step3_updates(self, step1: dict[str, Any], masters: dict[str, Any],
                      purchases: dict[str, Any]) -> None:
        plan, f = self.plan, "05-updates.jsonl"
        rng = self.rng
        problems: dict[str, Order] = step1["problems"]
        edited, repriced, cancelled, broken = step1["reserved"]
        d = day(20)

        order = problems["approve_later"]
        plan.add(f, self.revise(order, version=2, status="approved",
                                approval=self.approval(d, 2, hour=17)),
                 final="synced")
        order = problems["stale_edit"]
        approved = self.revise(order, version=2, status="approved",
                               approval=self.approval(d, 2, hour=15))
        plan.add(f, approved, final="superseded")
        lines = [copy(entry) for entry in order.lines]
        lines[0]["unit_price"] = money(Decimal(lines[0]["unit_price"]) * Decimal("0.96"))
        plan.add(f, self.revise(order, version=3, status="approved", lines=lines,
                                approval=approved["approval"]),
                 ["APPROVAL_STALE", "PRICE_CHANGED"], "after approval of v2 a sales rep cut "
                 "line 1's price 4% and saved v3; the approval still names v2", final="held")
        order = problems["cancel_unsynced"]
        plan.add(f, self.revise(order, version=2, status="cancelled"),
                 final="rejected")

        lines = [copy(entry) for entry in edited.lines]
        lines[0]["qty"] = dec(Decimal(lines[0]["qty"]) + (2 if lines[0]["uom"] != "PCS" else 12))
        plan.add(f, self.revise(edited, version=2, lines=lines,
                                approval=self.approval(d, 2, hour=16)),
                 ["CHANGED_AFTER_SYNC"], "the customer added to line 1 after the order synced; "
                 "re-approved, so policy `update` lets it go", final="synced")
        lines = [copy(entry) for entry in repriced.lines]
        lines[-1]["unit_price"] = money(Decimal(lines[-1]["unit_price"]) * Decimal("1.03"))
        plan.add(f, self.revise(repriced, version=2, lines=lines, keep_approval=True),
                 ["CHANGED_AFTER_SYNC", "APPROVAL_STALE", "PRICE_CHANGED"],
                 "synced v1, then a 3% price rise on the last line without a new approval",
                 final="held")
        plan.add(f, self.revise(cancelled, version=2, status="cancelled",
                                approval=self.approval(d, 2, hour=16)),
                 ["CANCELLED_AFTER_SYNC"], "the customer cancelled after it synced (the "
                 "cancellation approved as v2); cancel policy `reverse` lets the reversal go",
                 final="synced")
        bad = self.revise(broken, version=2, keep_approval=True,
                          approval=self.approval(d, 2, hour=14))
        bad["date"] = "2026-11-31"
        plan.add(f, bad, ["INVALID_DOCUMENT"], "v2 of a synced order dated 2026-11-31 (no such "
                 "day): held; acgate does not fall back to v1", final="held")
        item_doc = masters["item_doc"]
        plan.add(f, item_doc(masters["draft_item"], 2), final="synced")
        po = purchases["orders"][15]
        supplier_items = [i for i in self.active_goods() if i.supplier == po["party"]["code"]
                          and i.code not in {e["item"] for e in po["lines"]}]
        revised = copy(po)
        revised["version"] = 2
        if supplier_items:
            item = rng.choice(supplier_items)
            uom = item.uoms[-1].uom
            price = item.uom(uom).purchase_price
            if po.get("currency"):
                price = (price / FX[po["currency"]]).quantize(CENT, rounding=ROUND_HALF_UP)
            revised["lines"].append(line(len(po["lines"]) + 1, item.code, uom, 10, price,
                                         tax=TAX_WORD[item.tax_code],
                                         description=item.description))
        else:
            revised["lines"][0]["qty"] = dec(Decimal(revised["lines"][0]["qty"]) * 2)
        revised["totals"] = compute_totals(revised["lines"])
        revised["approval"] = {"by": "farid.purchasing", "at": stamp(d, 17, 5), "version": 2}
        plan.add(f, revised, ["CHANGED_AFTER_SYNC"], "a line added to a synced, re-approved "
                 "purchase order; policy `new_document` sends the change as a new PO",
                 final="synced")

    def step3_receipts(self, purchases: dict[str, Any]) -> dict[str, Any]:
        rng, plan, f = self.rng, self.plan, "06-receipts.csv"
        orders: list[dict[str, Any]] = purchases["orders"]
        receipts: list[dict[str, Any]] = []
        refs: dict[str, str] = {}

        def receipt(po: dict[str, Any], portions: list[tuple[int, Decimal]], updated: str,
                    status: str = "received", ref: str | None = None,
                    grn_id: str | None = None) -> dict[str, Any]:
            if grn_id is None:
                self.grn_no += 1
                grn_id = f"GRN-{self.grn_no}"
            supplier = po["party"]
            abbr = "".join(w[0] for w in supplier["name"].split()[:3]).upper()
            if ref is None:
                ref = f"DO-{abbr}-{rng.randint(10000, 99999)}"
            refs[grn_id] = ref
            by_no = {e["line"]: e for e in po["lines"]}
            lines = []
            for index, (po_line, qty) in enumerate(portions, start=1):
                entry = by_no[po_line]
                lines.append(line(index, entry["item"], entry["uom"].lower(), qty,
                                  based_on={"type": "purchase_order", "id": po["id"],
                                            "line": po_line, "source": "procure"}))
            return trade("wms", "goods_received", grn_id, version=None, updated_at=updated,
                         status=status, date=updated[:10], party=dict(supplier),
                         currency=po.get("currency"), reference=ref, branch="Shah Alam",
                         based_on=[{"type": "purchase_order", "id": po["id"],
                                    "source": "procure"}], lines=lines, with_totals=False)

        def full(po: dict[str, Any]) -> list[tuple[int, Decimal]]:
            return [(e["line"], Decimal(e["qty"])) for e in po["lines"]]

        for po in orders[:12]:
            payload = receipt(po, full(po), stamp(day(rng.choice([20, 21])), 8,
                                                  rng.randint(0, 50)))
            receipts.append(payload)
            plan.add(f, payload, final="synced")
        po = orders[12]
        portions = full(po)
        short = [(portions[0][0], (portions[0][1] / 2).to_integral_value()), *portions[1:]]
        payload = receipt(po, short, stamp(day(21), 8, 20))
        receipts.append(payload)
        plan.add(f, payload, ["PARTIAL_DELIVERY"], f"the supplier short-shipped {po['id']} "
                 "line 1", final="synced")
        po = orders[13]
        over = [(no, qty + (5 if i == 0 else 0)) for i, (no, qty) in enumerate(full(po))]
        payload = receipt(po, over, stamp(day(21), 8, 25))
        plan.add(f, payload, ["OVER_FULFILMENT"], f"5 more received than {po['id']} ordered "
                 "on line 1", final="held")
        first = receipts[0]
        po = next(o for o in orders if o["id"] == first["based_on"][0]["id"])
        dup = receipt(po, full(po), stamp(day(21), 8, 40), ref=first["reference"])
        plan.add(f, dup, ["DUPLICATE_DOCUMENT", "OVER_FULFILMENT"], f"the storekeeper scanned "
                 f"supplier DO {first['reference']} a second time ({first['id']} has it)",
                 final="held")
        po = orders[14]
        pending = receipt(po, full(po), stamp(day(21), 8, 45), status="pending")
        plan.add(f, pending, ["STATUS_NOT_READY"], "goods at the dock, QC `pending`; "
                 "`received` arrives on 24 Nov (versions by updated_at)", final="synced")
        return {"receipts": receipts, "pending": pending, "orders": orders}

    # Step 5 (2026-11-23 09:00): invoices, more orders, supplier invoices -------------------

    def step5_invoices(self, deliveries: dict[str, Any]) -> dict[str, Any]:
        rng, plan, f = self.rng, self.plan, "07-invoices.xlsx"
        full: list[Delivery] = deliveries["full"]
        partial: list[Delivery] = deliveries["partial"]
        synced: list[dict[str, Any]] = []
        d = day(23)
        later = full[-4:]  # billed later, cancelled or edited in step 8
        billable = full[:-4] + partial
        for index, delivery in enumerate(billable):
            extra = None
            if index % 6 == 2:
                extra = [self.delivery_charge(len(delivery.lines) + 1, delivery.order.currency)]
            payload = self.invoice(delivery, rng.choice([day(21), day(22), d]),
                                   extra_lines=extra, explicit_source=index % 5 != 4)
            if index == 3:
                first = payload["lines"][0]
                first["unit_price"] = money(Decimal(first["unit_price"]) * Decimal("1.08"))
                payload["totals"] = compute_totals(payload["lines"])
                plan.add(f, payload, ["PRICE_OUT_OF_TOLERANCE"], "line 1 billed 8% above "
                         "AutoCount's price", final="held")
                continue
            if index == 5:
                lines = payload["lines"]
                lines[0]["discount"] = "10%"
                gross = sum((Decimal(e["qty"]) * Decimal(e["unit_price"]) for e in lines),
                            Decimal(0))
                totals = compute_totals(lines)
                totals["subtotal"] = money(gross)
                plan.add(f, dict(payload, totals=totals), ["TOTALS_MISMATCH"], "subtotal "
                         "before the 10% line discount, while tax and total are after it",
                         final="held")
                continue
            if index == 9:
                payload["date"] = day(10, 7)
                payload["totals"] = compute_totals(payload["lines"])
                plan.add(f, payload, ["DATE_OUT_OF_RANGE"], "dated 2026-07-10 (a typo for "
                         "2026-11-10): 136 days old, more than 120", final="held")
                continue
            if index == 11:
                first = payload["lines"][0]
                qty = Decimal(first["qty"])
                first["qty"] = dec(qty + (12 if self.uom_of(first["uom"]) == "PCS" else 2))
                payload["totals"] = compute_totals(payload["lines"])
                plan.add(f, payload, ["OVER_FULFILMENT"], f"bills more on line 1 than "
                         f"{delivery.id} delivered", final="held")
                continue
            synced.append(payload)
            plan.add(f, payload, final="synced")
        # Billed before its delivery synced: the order was approved late (step 3).
        payload = self.invoice(deliveries["before_approval"], d)
        plan.add(f, payload, ["DEPENDENCY_PENDING"], "billed while its delivery was still "
                 "waiting for its order; syncs once the delivery has", final="synced")
        # The shop exported one invoice twice under a new number.
        original = next(inv for inv in synced[:4] if inv.get("reference"))
        dup = copy(original)
        dup["id"] = self.next_inv()
        plan.add(f, dup, ["DUPLICATE_DOCUMENT", "OVER_FULFILMENT"], f"the shop re-exported "
                 f"{original['id']} as a new number: same party, date, reference and total, "
                 "billing the same delivery again", final="held")
        return {"synced": synced, "later": later}

    def step5_orders(self, step1: dict[str, Any]) -> dict[str, Any]:
        rng, plan, f = self.rng, self.plan, "08-orders.jsonl"
        entries: list[tuple[dict[str, Any], list[str], str, str]] = []
        dates = [day(21), day(22), day(23)]
        clean: list[Order] = []
        for index in range(28):
            d = rng.choice(dates)
            customer = None
            if index in (6, 19):
                customer = rng.choice([c for c in self.master.debtors
                                       if c.currency == "SGD" and c.source_code])
            if index in (3, 11, 23):
                customer = rng.choice([c for c in self.master.debtors if not c.source_code])
            order = self.sales_order(customer=customer, date=d,
                                     approval_hour=8 if d == day(23) else 15)
            clean.append(order)
            entries.append((order.payload, [], "", "synced"))

        def add(payload: dict[str, Any], codes: list[str], why: str, final: str) -> None:
            entries.append((payload, codes, why, final))

        ctn24 = self.items_with("CTN", 24)
        wholesale = rng.choice([c for c in self.shop_customers() if "Borong" in c.name
                                or "Wholesale" in c.name])
        for index in range(4):
            item = ctn24[index + 5]
            lines = [line(1, item.code, "ctn24", rng.randint(2, 6), item.uom("CTN").price,
                          uom_rate=24, tax=TAX_WORD[item.tax_code],
                          description=item.description)]
            add(self.sales_order(customer=wholesale, date=day(22), lines=lines,
                                 branch="Shah Alam", department="WHOLESALE",
                                 approval_hour=15).payload,
                ["UOM_UNKNOWN"], "bulk upload with UOM word `ctn24`: no alias yet. The map "
                "step on 25 Nov 14:00 adds `ctn24 -> CTN`, which releases all four (their "
                "uom_rate 24 then checks out); they sync at 17:00", "synced")
        stranger = PartyRec("CUST-0163", "Kedai Runcit Ah Seng (PJ)", "", "", "",
                            self.master.debtors[2].phone, "", "MYR", "C.O.D.", "Petaling Jaya")
        for _ in range(3):
            d = rng.choice(dates)
            add(self.sales_order(customer=stranger, date=d, reference=False, terms="cod",
                                 full_party=True,
                                 approval_hour=8 if d == day(23) else 15).payload,
                ["PARTY_UNMAPPED"], "shop customer CUST-0163 has no mapping; the matcher "
                f"suggests {self.master.debtors[2].code} Kedai Runcit Ah Seng (same phone). "
                "One mapping releases all three", "held")
        earlier = next(o for o in step1["clean"][4:] if o.reference)
        dup = self.sales_order(customer=earlier.customer, date=day(22),
                               reference=earlier.reference, approval_hour=15)
        add(dup.payload, ["DUPLICATE_DOCUMENT"], f"the customer re-sent PO {earlier.reference} "
            f"through the portal; {earlier.id} already has it", "held")
        usd = next(c for c in self.master.debtors if c.currency == "USD" and c.source_code)
        no_rate = self.sales_order(customer=usd, date=day(22), approval_hour=15)
        no_rate.payload.pop("currency_rate")
        add(no_rate.payload, ["CURRENCY_MISMATCH"], "a USD order without currency_rate",
            "held")
        item = rng.choice(self.active_goods())
        high = (item.uom("PCS").price * Decimal("1.12")).quantize(CENT, rounding=ROUND_HALF_UP)
        lines = [line(1, item.code, "PCS", 24, high, tax=TAX_WORD[item.tax_code],
                      description=item.description)]
        add(self.sales_order(date=day(22), lines=lines, approval_hour=15).payload,
            ["PRICE_OUT_OF_TOLERANCE"], "priced 12% above AutoCount (the shop's old price "
            "list)", "held")
        for _ in range(2):
            add(self.sales_order(date=day(23), approve=False).payload, ["APPROVAL_MISSING"],
                "status `approved` but the portal sent no approval (a bug in its approve "
                "button)", "waiting")
        add(self.sales_order(date=day(23), status="draft", approve=False).payload,
            ["STATUS_NOT_READY", "APPROVAL_MISSING"], "a draft basket still being edited",
            "waiting")
        add(self.sales_order(date=day(22), status="exception", approval_hour=15).payload,
            ["SOURCE_EXCEPTION"], "the shop flagged a payment exception", "held")
        add(self.sales_order(date=day(22), status="Backorder", approval_hour=15).payload,
            ["STATUS_UNKNOWN"], "status `Backorder` is in no sales_order list", "held")
        add(self.sales_order(date=day(22), project="PROMO-1111", department="HORECA",
                             approval_hour=15).payload,
            ["CODE_UNMAPPED"], "project PROMO-1111 (the 11.11 campaign) and department HORECA "
            "are not in AutoCount", "held")
        add(self.sales_order(date=day(22), agent="NURUL", approval_hour=15).payload,
            ["CODE_UNMAPPED"], "agent NURUL again: the same agent mapping releases this and "
            "the step-1 order", "held")
        add(self.sales_order(date=day(22), branch="Ipoh", approval_hour=15).payload,
            ["LOCATION_UNMAPPED"], "branch Ipoh again", "held")
        no_box = rng.choice([i for i in self.active_goods() if not i.has("BOX")
                             and i.has("CTN")])
        lines = [line(1, no_box.code, "box", 4, no_box.uom("PCS").price * 6,
                      tax=TAX_WORD[no_box.tax_code], description=no_box.description)]
        add(self.sales_order(date=day(22), lines=lines, approval_hour=15).payload,
            ["UOM_UNKNOWN"], f"`box` of {no_box.code}, which AutoCount sells only in PCS and "
            "CTN", "held")
        mint = self.master.item("SNK-3010")
        lines = [self.order_line(1, rng.choice(self.active_goods()), None),
                 line(2, mint.code, "pcs", 36, mint.uom("PCS").price,
                      tax=TAX_WORD[mint.tax_code], description=mint.description)]
        add(self.sales_order(date=day(22), lines=lines, approval_hour=15).payload,
            ["ITEM_INACTIVE"], "line 2 is SNK-3010 Gula-gula Mentol, discontinued (inactive) "
            "in AutoCount but still listed in the shop", "held")
        lines = [line(1, "SF-KOPI-LATTE-TIN", "CTN", 2, Decimal("67.20"), tax="SST10",
                      description="Kopi Latte Ais Tin 240ml (24s)")]
        add(self.sales_order(date=day(23), lines=lines, approval_hour=8).payload,
            ["ITEM_UNMAPPED"], "the shop lists the new canned latte as SF-KOPI-LATTE-TIN; "
            "nobody mapped the shop SKU to an AutoCount item", "held")
        item = ctn24[9]
        lines = [line(1, item.code, "carton", 3, item.uom("CTN").price, uom_rate=12,
                      tax=TAX_WORD[item.tax_code], description=item.description)]
        add(self.sales_order(date=day(22), lines=lines, approval_hour=15).payload,
            ["UOM_RATE_MISMATCH"], "carton = 12 in the shop, CTN = 24 in AutoCount", "held")
        for code in ("SF-KOPIO-20", "SF-BERAS-5KG"):
            item = self.master.item(self._autocount_item(code))
            lines = [self.order_line(1, item, None, item_code=code)]
            order = self.sales_order(date=day(22), lines=lines, approval_hour=15)
            clean.append(order)
            add(order.payload, [], "", "synced")
        rng.shuffle(entries)
        # A late duplicate delivery from the portal's retry queue: the same content again.
        resend = next(o for o in step1["clean"][4:] if not o.reference)
        entries.insert(len(entries) // 2, (resend.payload, [], "", ""))
        # And a stale copy: v1 of the order edited in step 3.
        stale: Order = step1["reserved"][0]
        entries.insert(len(entries) // 3, (stale.payload, [], "", ""))
        plan.notes += [
            f"`shopfront/sales_order/{resend.id}` arrives again, unchanged, in `{f}`: a "
            "redelivery (recorded, not processed again).",
            f"`shopfront/sales_order/{stale.id}` v1 arrives again in `{f}` after v2 was "
            "stored: a stale version (recorded, never applied).",
        ]
        for payload, codes, why, final in entries:
            plan.add(f, payload, codes, why, final=final or None)
        return {"clean": clean}

    def step5_purchase_invoices(self, receipts: dict[str, Any]) -> None:
        rng, plan, f = self.rng, self.plan, "09-purchase-invoices.json"
        orders = {po["id"]: po for po in receipts["orders"]}
        self_refs: list[str] = []

        def purchase_invoice(grn: dict[str, Any], *, ref: str | None = None,
                             explicit: bool = True) -> dict[str, Any]:
            self.pi_no += 1
            po = orders[grn["based_on"][0]["id"]]
            by_no = {e["line"]: e for e in po["lines"]}
            supplier = grn["party"]
            abbr = "".join(w[0] for w in supplier["name"].split()[:3]).upper()
            ref = ref or f"INV/{abbr}/26/{rng.randint(1000, 9999)}"
            self_refs.append(ref)
            lines = []
            for entry in grn["lines"]:
                po_line = by_no[entry["based_on_line"]["line"]]
                based: dict[str, Any] = {"type": "goods_received", "id": grn["id"],
                                         "line": entry["line"]}
                if explicit:
                    based["source"] = "wms"
                lines.append(line(entry["line"], entry["item"], entry["uom"], Decimal(entry["qty"]),
                                  Decimal(po_line["unit_price"]), tax=po_line.get("tax_code"),
                                  based_on=based, description=po_line.get("description")))
            based_on: dict[str, Any] = {"type": "goods_received", "id": grn["id"]}
            if explicit:
                based_on["source"] = "wms"
            return trade("procure", "purchase_invoice", f"PI26-{self.pi_no:04d}",
                         status=rng.choice(["approved", "posted"]),
                         date=day(rng.choice([21, 22, 22, 23])), party=dict(supplier),
                         currency=po.get("currency"), reference=ref, branch="Shah Alam",
                         based_on=[based_on], lines=lines)

        grns: list[dict[str, Any]] = receipts["receipts"]
        issued: list[dict[str, Any]] = []
        for index, grn in enumerate(grns):
            payload = purchase_invoice(grn, explicit=index % 4 != 3)
            issued.append(payload)
            if index == 6:
                payload["totals"]["total"] = money(Decimal(payload["totals"]["total"]) + 1)
                plan.add(f, payload, ["TOTALS_MISMATCH", "SCHEDULED_BATCH"], "the supplier "
                         "invoice's total keyed RM1.00 higher than its lines", final="held")
                continue
            plan.add(f, payload, ["SCHEDULED_BATCH"], "purchase invoices sync in the 18:00 "
                     "batch", final="synced")
        first = issued[0]
        dup = copy(first)
        self.pi_no += 1
        dup["id"] = f"PI26-{self.pi_no:04d}"
        plan.add(f, dup, ["DUPLICATE_DOCUMENT", "OVER_FULFILMENT", "SCHEDULED_BATCH"],
                 f"supplier invoice {first['reference']} keyed a second time by another clerk "
                 f"({first['id']} has it), billing the same goods received again", final="held")

    # Step 8 (2026-11-24 09:00): second deliveries, changes after sync, credit notes --------

    def step8_deliveries(self, deliveries: dict[str, Any], batch_b: dict[str, Any],
                         receipts: dict[str, Any]) -> dict[str, Any]:
        plan, f = self.plan, "10-deliveries.jsonl"
        d = day(24)
        billable: list[Delivery] = []
        # The rest of the partial deliveries.
        for delivery in deliveries["partial"]:
            order = delivery.order
            done: dict[int, Decimal] = {}
            for entry in delivery.lines:
                item = self.master.item(entry["item"])
                rate = item.uom(self.uom_of(entry["uom"])).rate
                done[entry["so_line"]] = done.get(entry["so_line"], Decimal(0)) + \
                    Decimal(entry["qty"]) * rate
            rest: list[tuple[int, int | Decimal, str]] = []
            for so_line, qty, uom in self.full_portions(order):
                item = self.master.item(self._autocount_item(order.lines[so_line - 1]["item"]))
                rate = item.uom(uom).rate
                left = qty * rate - done.get(so_line, Decimal(0))
                if left <= 0:
                    continue
                if left % rate == 0:
                    rest.append((so_line, left / rate, uom))
                else:
                    rest.append((so_line, left, "PCS"))
            if delivery is deliveries["cumulative"]:
                rest = [(1, Decimal(6), "BOX")]
                nxt, payload = self.delivery(order, d, rest)
                plan.add(f, payload, ["OVER_FULFILMENT"], f"another 6 BOX: with the 6 of "
                         f"{delivery.id}, 12 of {order.id}'s 10", final="held")
                self.over_second = nxt
                continue
            nxt, payload = self.delivery(order, d, rest)
            billable.append(nxt)
            why = ("the remaining 1 CTN of line 1 (the first delivery was 24 PCS loose)"
                   if delivery is deliveries["uom_change"] else "the rest of the order")
            plan.add(f, payload, [], why, final="synced")
        # Picking finished.
        for delivery, payload in deliveries["picking"]:
            done_payload = dict(payload, version=2, status="delivered")
            billable.append(delivery)
            plan.add(f, done_payload, final="synced")
        # The goods-received note that was pending QC (versions by updated_at).
        received = dict(receipts["pending"], status="received",
                        updated_at=stamp(d, 8, 10))
        plan.notes.append(
            "Goods received notes (`wms/goods_received/*`) carry `updated_at` and no `version`; "
            f"{received['id']} gets a newer `updated_at` (pending -> received) in `{f}`.")
        plan.add(f, received, [], "QC passed: `received`", final="synced")
        # Deliveries for the batch-B orders that synced on 23 Nov.
        for index, order in enumerate(batch_b["clean"]):
            portions = self.full_portions(order)
            if index in (4, 13) and len(portions) > 1:
                nxt, payload = self.delivery(order, d, portions[:-1],
                                             status="partially_delivered")
                billable.append(nxt)
                plan.add(f, payload, ["PARTIAL_DELIVERY"], f"last line of {order.id} "
                         "back-ordered", final="synced")
                continue
            if index == 20:
                continue  # not yet delivered
            nxt, payload = self.delivery(order, d, portions, explicit_source=index % 3 != 0)
            billable.append(nxt)
            plan.add(f, payload, final="synced")
        # Open orders from step 1 delivered now.
        for order in deliveries["open"]:
            nxt, payload = self.delivery(order, d, self.full_portions(order))
            billable.append(nxt)
            plan.add(f, payload, final="synced")
        return {"billable": billable}

    def step8_changes(self, deliveries: dict[str, Any], invoices: dict[str, Any]) -> None:
        plan, f = self.plan, "11-changes.jsonl"
        synced: list[dict[str, Any]] = invoices["synced"]
        later: list[Delivery] = invoices["later"]
        edited = copy(synced[4])
        edited["version"] = 2
        first = edited["lines"][0]
        first["qty"] = dec(Decimal(first["qty"]) - 1)
        edited["totals"] = compute_totals(edited["lines"])
        edited["notes"] = "Qty adjusted: 1 unit short at delivery"
        plan.add(f, edited, ["CHANGED_AFTER_SYNC"], "billing adjusted line 1 after the invoice "
                 "synced; policy `review` holds it for accounts", final="held")
        void = copy(synced[8])
        void["version"] = 2
        void["status"] = "void"
        plan.add(f, void, ["CANCELLED_AFTER_SYNC"], "voided in the shop after it synced; "
                 "cancel policy `block` holds it (void it in AutoCount by hand)", final="held")
        delivery = later[0]
        cancelled = self._delivery_payload(delivery, version=2, status="cancelled")
        plan.add(f, cancelled, ["CANCELLED_AFTER_SYNC"], "delivery cancelled (customer "
                 "refused the goods) after it synced; policy `review`", final="held")
        delivery = later[1]
        changed = self._delivery_payload(delivery, version=2)
        changed["lines"][0]["qty"] = dec(Decimal(changed["lines"][0]["qty"]) - 1)
        delivery.lines[0]["qty"] = changed["lines"][0]["qty"]
        plan.add(f, changed, ["CHANGED_AFTER_SYNC", "PARTIAL_DELIVERY"], "one unit fewer "
                 "delivered than first posted (so its order stays open by one); policy "
                 "`reverse` re-posts it", final="synced")

    def _delivery_payload(self, delivery: Delivery, **changes: Any) -> dict[str, Any]:
        for entries in self.plan.files.values():
            for entry in entries:
                if entry.label == f"wms/delivery_order/{delivery.id}":
                    payload = copy(entry.payload)
                    payload.update(changes)
                    return payload
        raise KeyError(delivery.id)

    def step8_credit_notes(self, invoices: dict[str, Any]) -> None:
        rng, plan, f = self.rng, self.plan, "12-credit-notes.json"
        synced: list[dict[str, Any]] = invoices["synced"]

        def credit_note(invoice: dict[str, Any], qty: Decimal | None = None,
                        status: str = "approved") -> dict[str, Any]:
            self.cn_no += 1
            entry = invoice["lines"][0]
            credited = qty if qty is not None else max(Decimal(1), Decimal(entry["qty"]) // 4)
            lines = [line(1, entry["item"], entry["uom"], credited, Decimal(entry["unit_price"]),
                          tax=entry.get("tax_code"), description=entry.get("description"),
                          based_on={"type": "sales_invoice", "id": invoice["id"], "line":
                                    entry["line"]})]
            return trade("shopfront", "credit_note", f"CN-26-{self.cn_no}", status=status,
                         date=day(24), party=dict(invoice["party"]),
                         currency=invoice.get("currency"), branch=invoice.get("branch"),
                         based_on=[{"type": "sales_invoice", "id": invoice["id"]}],
                         lines=lines, notes=rng.choice([
                             "Barang rosak semasa penghantaran (damaged in transit)",
                             "Tarikh luput hampir (near expiry) - returned",
                             "Price adjustment agreed with customer"]))

        candidates = [inv for inv in synced[10:] if not inv.get("currency")]
        for invoice in candidates[:4]:
            plan.add(f, credit_note(invoice), ["MANUAL_RELEASE"], "credit notes go to "
                     "AutoCount only when accounts release them", final="waiting")
        plan.add(f, credit_note(candidates[4], status="draft"),
                 ["STATUS_NOT_READY", "MANUAL_RELEASE"], "a draft credit note", final="waiting")
        invoice = candidates[5]
        over = Decimal(invoice["lines"][0]["qty"]) + 2
        plan.add(f, credit_note(invoice, qty=over), ["OVER_FULFILMENT", "MANUAL_RELEASE"],
                 f"credits 2 more than {invoice['id']} line 1 billed", final="held")

    # Step 10 (2026-11-25 09:00): invoices for the second deliveries ------------------------

    def step10_invoices(self, deliveries: dict[str, Any], invoices: dict[str, Any]) -> None:
        rng, plan, f = self.rng, self.plan, "13-invoices.csv"
        d = day(25)
        billable: list[Delivery] = deliveries["billable"]
        for index, delivery in enumerate(billable):
            extra = None
            if index % 7 == 3:
                extra = [self.delivery_charge(len(delivery.lines) + 1, delivery.order.currency)]
            payload = self.invoice(delivery, rng.choice([day(24), d]), extra_lines=extra)
            plan.add(f, payload, final="synced")
        for delivery in invoices["later"][1:]:
            payload = self.invoice(delivery, d)
            plan.add(f, payload, final="synced")
        over = self.over_second
        assert over is not None
        payload = self.invoice(over, d)
        plan.add(f, payload, ["DEPENDENCY_PENDING"], f"bills {over.id}, which is held for "
                 "over-delivery, so the invoice waits", final="waiting")
        bad = self.invoice(billable[0], d)
        bad["date"] = "25/11/2026"
        plan.add(f, bad, ["INVALID_DOCUMENT"], "date written 25/11/2026 in the CSV export",
                 final="held")


# --- writing ------------------------------------------------------------------------------------

def flatten(prefix: str, value: Any, row: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            flatten(f"{prefix}.{key}" if prefix else key, inner, row)
    else:
        row[prefix] = value


def table_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per line (or per UOM of an item), header fields repeated."""
    header: dict[str, Any] = {}
    lists: dict[str, list[dict[str, Any]]] = {}
    for key, value in payload.items():
        if key in ("lines", "based_on", "uoms"):
            lists[key] = value
        else:
            flatten(key, value, header)
    count = max([len(v) for v in lists.values()] + [1])
    rows = []
    for index in range(count):
        row = dict(header)
        for name, entries in lists.items():
            if index < len(entries):
                flatten(name, entries[index], row)
        rows.append(row)
    return rows


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return columns


def write_documents(plan: Plan, out: Path) -> dict[str, int]:
    folder = out / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, entries in plan.files.items():
        payloads = [e.payload for e in entries]
        counts[name] = len(payloads)
        path = folder / name
        if name.endswith(".jsonl"):
            text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in payloads)
            path.write_text(text, encoding="utf-8")
        elif name.endswith(".json"):
            path.write_text(json.dumps(payloads, ensure_ascii=False, indent=1) + "\n",
                            encoding="utf-8")
        else:
            rows = [row for p in payloads for row in table_rows(p)]
            columns = columns_of(rows)
            if name.endswith(".csv"):
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                writer.writerow(columns)
                for row in rows:
                    writer.writerow([csv_text(row.get(c)) for c in columns])
                path.write_text(buffer.getvalue(), encoding="utf-8")
            else:
                wb = Workbook()
                ws = wb.active
                assert ws is not None
                ws.title = "documents"
                ws.append(columns)
                for row in rows:
                    ws.append([row.get(c) for c in columns])
                save_workbook(wb, path)
    return counts


@dataclass(frozen=True, slots=True)
class Step:
    at: str
    action: str  # ingest, sync, recheck, map
    files: tuple[str, ...] = ()
    note: str = ""
    mapping: tuple[str, str, str, str] | None = None  # table, source, target, reason


STEPS: list[Step] = [
    Step("2026-11-20T09:00:00+08:00", "ingest",
         ("01-orders.jsonl", "02-masters.csv", "03-purchase-orders.json"),
         "Friday morning: the shop's orders of the week, master data changes, purchase orders"),
    Step("2026-11-20T12:00:00+08:00", "sync", note="the sandbox accepts every ready record"),
    Step("2026-11-21T09:00:00+08:00", "ingest",
         ("04-deliveries.jsonl", "05-updates.jsonl", "06-receipts.csv"),
         "Saturday: deliveries and goods received; approvals, edits, cancellations"),
    Step("2026-11-21T12:00:00+08:00", "sync"),
    Step("2026-11-23T09:00:00+08:00", "ingest",
         ("07-invoices.xlsx", "08-orders.jsonl", "09-purchase-invoices.json"),
         "Monday: invoices for Saturday's deliveries, the weekend's orders, supplier invoices"),
    Step("2026-11-23T12:00:00+08:00", "sync"),
    Step("2026-11-23T18:30:00+08:00", "recheck",
         note="the 18:00 purchase-invoice window has opened; Friday's drafts waited over 72h"),
    Step("2026-11-24T09:00:00+08:00", "ingest",
         ("10-deliveries.jsonl", "11-changes.jsonl", "12-credit-notes.json"),
         "Tuesday: second deliveries, changes to synced documents, credit notes"),
    Step("2026-11-24T12:00:00+08:00", "sync"),
    Step("2026-11-25T09:00:00+08:00", "ingest", ("13-invoices.csv",),
         "Wednesday: invoices for Tuesday's deliveries"),
    Step("2026-11-25T12:00:00+08:00", "sync"),
    Step("2026-11-25T14:00:00+08:00", "map",
         note="accounts adds the missing UOM alias: the four `ctn24` orders move on",
         mapping=("uom", "ctn24", "CTN", "wholesale upload template: ctn24 is a 24-piece carton")),
    Step("2026-11-25T17:00:00+08:00", "sync"),
    Step("2026-11-25T18:30:00+08:00", "recheck",
         note="end of day: deliveries still waiting on held orders have waited over 72h"),
]


def scenario_yaml() -> str:
    out = [
        "# The demo: Syarikat Demo Edaran Sdn Bhd's week, step by step. Each step runs at `at`",
        "# (acgate's clock). `ingest` reads documents; `sync: ready` lets the AutoCount sandbox",
        "# accept every ready record, after which followers waiting on them are re-checked;",
        "# `recheck: waiting` re-checks waiting records as of `at` (batch windows, max wait);",
        "# `map` adds a mapping as a person would, re-checking the records it was missing for.",
        "# Generated by scripts/make_demo_data.py; see EXPECTED.md for what each step shows.",
        "company: demo",
        "master: master.xlsx",
        "rules: rules/demo.yaml",
        "steps:",
    ]
    for step in STEPS:
        if step.note:
            out.append(f"  # {step.note}")
        out.append(f'  - at: "{step.at}"')
        if step.action == "ingest":
            out.append("    ingest:")
            out.extend(f"      - documents/{name}" for name in step.files)
        elif step.action == "sync":
            out.append("    sync: ready")
        elif step.action == "recheck":
            out.append("    recheck: waiting")
        else:
            assert step.mapping is not None
            table, source, target, reason = step.mapping
            out += ["    map:", f"      - table: {table}", f'        source: "{source}"',
                    f'        target: "{target}"', "        by: accounts",
                    f'        reason: "{reason}"']
    return "\n".join(out) + "\n"


CODE_ORDER = [
    "INVALID_DOCUMENT", "STATUS_NOT_READY", "STATUS_UNKNOWN", "SOURCE_EXCEPTION", "WAIT_EXPIRED",
    "PARTY_UNMAPPED", "ITEM_UNMAPPED", "ITEM_INACTIVE", "LOCATION_UNMAPPED", "UOM_UNKNOWN",
    "UOM_RATE_MISMATCH", "TAX_CODE_UNMAPPED", "CODE_UNMAPPED", "CURRENCY_MISMATCH",
    "PRICE_OUT_OF_TOLERANCE", "DATE_OUT_OF_RANGE", "TOTALS_MISMATCH", "APPROVAL_MISSING",
    "APPROVAL_STALE", "PRICE_CHANGED", "CHANGED_AFTER_SYNC", "DEPENDENCY_PENDING",
    "SCHEDULED_BATCH", "MANUAL_RELEASE", "DUPLICATE_PARTY", "DUPLICATE_DOCUMENT",
    "PARTIAL_DELIVERY", "OVER_FULFILMENT", "CANCELLED_AFTER_SYNC",
]


def expected_md(plan: Plan, counts: dict[str, int], master: Master) -> str:
    by_type: dict[str, int] = {}
    for label in plan.expectations:
        doc_type = label.split("/")[1]
        by_type[doc_type] = by_type.get(doc_type, 0) + 1
    finals: dict[str, int] = {}
    for expectation in plan.expectations.values():
        if expectation.final:
            finals[expectation.final] = finals.get(expectation.final, 0) + 1
    lines = [
        "# Demo data: what each document is meant to show",
        "",
        "Generated by `scripts/make_demo_data.py` (seed 2611); do not edit by hand.",
        "",
        "Company `demo`, Syarikat Demo Edaran Sdn Bhd, a Shah Alam distributor of groceries, "
        "beverages and household goods with depots in Penang (PG), Johor Bahru (JB) and "
        "Kuala Lumpur (KL). Sources: `shopfront` (order portal: sales orders, invoices, credit "
        "notes, customers), `wms` (warehouse: delivery orders, goods received), `procure` "
        "(purchasing: purchase orders, supplier invoices, suppliers, items).",
        "",
        f"Master data: {len(master.debtors)} debtors, {len(master.creditors)} creditors, "
        f"{len(master.items)} items ({sum(not i.active for i in master.items)} inactive).",
        "",
        "## Files",
        "",
        "| step | file | versions |",
        "|---|---|---|",
    ]
    file_order: dict[str, int] = {}
    for step in STEPS:
        for name in step.files:
            file_order[name] = len(file_order)
            lines.append(f"| {step.at} | `documents/{name}` | {counts[name]} |")
    clean = sum(1 for e in plan.expectations.values() if not e.reasons)
    identities = len(plan.expectations) - 1  # the refused payload has none
    lines += [
        "", "Documents by type: " + ", ".join(f"{t} {n}" for t, n in sorted(by_type.items()))
        + f"; {identities} identities, plus one payload refused at intake for want of an id. "
        f"{clean} of them ({clean * 100 // identities}%) are meant to pass every check on "
        "their first try.",
        "", "Intended outcome at the end of the scenario: " + ", ".join(
            f"{o} {n}" for o, n in sorted(finals.items())) + ". `synced` includes documents "
        "whose newer version its policy lets through (`update`, `reverse`, `new_document`) and "
        "documents that waited first (for an approval, a dependency, a batch window).",
        "", "## The scenario", ""]
    lines += [f"- **{step.at}** `{step.action}`" + (f": {step.note}" if step.note else "")
              for step in STEPS]
    lines += ["", "## Besides the finding codes", ""]
    key_accounts = sum(1 for d in master.debtors if not d.source_code)
    mapped_note = (
        "The shop maps its own customer numbers (`CUST-0001`...) to debtor codes through "
        f"`mappings.customer`; {key_accounts} key accounts send their AutoCount codes (identity "
        "mapping), as do `wms` and `procure`. `SF-KOPIO-20` and `SF-BERAS-5KG` are shop SKUs "
        "mapped to items.")
    lines += [f"- {note}" for note in [*plan.notes, mapped_note, *NOTES]]
    lines += ["", "## By code", "",
              "Each entry: the document, the version that raises the code (by `version` or "
              "`updated_at`), the file it arrives in, and why.", ""]
    for code in CODE_ORDER:
        lines.append(f"### {code}")
        lines.append("")
        entries = sorted(
            (file_order.get(why.split("(", 1)[1].split(")", 1)[0], 99), e.label, why)
            for e in plan.expectations.values() for why in e.reasons.get(code, [])
        )
        lines += [f"- `{label}` {why}" for _, label, why in entries] or ["- (none)"]
        lines.append("")
    return "\n".join(lines)


NOTES = [
    "Deliveries in a different UOM from the order: SO line 2 CTN, delivered as 24 PCS, then "
    "1 CTN (the ledger counts base units). Warehouse and shop send UOM words through the "
    "alias table (`carton`, `ctn`, `box`, `pcs`, `unit`).",
    "Foreign-currency customers (SGD, USD) and a USD supplier: orders, deliveries, invoices and "
    "receipts carry `currency` and `currency_rate`.",
    "Some invoices add a delivery charge line (SVC-9001, service tax SV-6) that fulfils no "
    "delivery line.",
    "The `map` step adds the UOM alias `ctn24 -> CTN`, and the four orders held on it move on "
    "and sync at 17:00.",
]


def generate(out: Path) -> Plan:
    generator = Generator()
    plan = generator.build()
    out.mkdir(parents=True, exist_ok=True)
    (out / "rules").mkdir(exist_ok=True)
    write_master(generator.master, out)
    (out / "rules" / "demo.yaml").write_text(rules_yaml(generator.master), encoding="utf-8")
    counts = write_documents(plan, out)
    (out / "scenario.yaml").write_text(scenario_yaml(), encoding="utf-8")
    (out / "EXPECTED.md").write_text(expected_md(plan, counts, generator.master),
                                     encoding="utf-8")
    return plan


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    plan = generate(args.out)
    total = sum(len(entries) for entries in plan.files.values())
    print(f"wrote {total} document versions ({len(plan.expectations)} documents) to {args.out}")


if __name__ == "__main__":
    main()
