"""Word lists the generators draw names from, and small sampling helpers.

Names are invented (syllable combinations) so that a language model cannot answer from
memory: every fact must come from a tool result.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")

FIRST_NAMES = tuple(
    (
        "Ilva Tomas Orla Benno Marit Casen Ysolde Pavo Luned Arvid Sefa Doran Kerys Halvar Nadia "
        "Quill Ronja Evander Talia Olek Brisa Jory Mireille Stellan Wenna Idris Fenna Castor "
        "Liesl Ambrose Noor Teodor Saskia Elio Vesna Rurik Imke Lazlo Oriane Bastian Yara Cosmin "
        "Hedda Pim Zelie Anouk Gideon Maelis"
    ).split(" ")
)
LAST_NAMES = tuple(
    (
        "Moren Vask Tellby Orrin Quist Halden Brevik Saltor Dunmore Feyer Karsk Lindqvist Marlow "
        "Nysted Ostrava Pellan Ravensby Strand Tovey Ulmer Varga Wendt Yarrow Zabel Ashgrove "
        "Birkett Corvell Delacroix Eskin Falk Gorse Hollin Ivers Jansky Kettle Lusk Mardell "
        "Norrby Oakes Prent Rusk Sorrel Thane Umber Vinter Wicke Yoder Zorn"
    ).split(" ")
)
COMPANY_WORDS = tuple(
    (
        "Vantor Quillon Arbex Solvane Merid Calyx Dovetail Eskar Fennic Galvo Halcyon Isotra "
        "Juniper Kestrel Lumen Mosaic Nimbus Orrery Pallas Quorra Rivet Sable Tessel Umbra Verity "
        "Wexley Xylo Yonder Zephyr Brightwell Cobble Drumlin Ember Flint Granary Heron"
    ).split(" ")
)
COMPANY_KINDS = tuple(
    ("Labs Works Systems Foods Freight Textiles Energy Press Mills Optics").split(" ")
)
CITY_HEADS = tuple(("Qu Tar Vel Mor Ash Bri Cal Dun Esk Fal Gal Hav Ist Kel Lor Nor").split(" "))
CITY_TAILS = tuple(("essa vik mont ora wick dale aro holm ford ene grad ley mouth stad").split(" "))

DIR_NAMES = tuple(
    (
        "alpha archive assets backup bin cache config data docs drafts exports fixtures home "
        "images inbox lib logs media misc notes old opt outbox projects public reports res "
        "scratch share src staging static store sync temp tests tools uploads vault work zeta "
        "beta gamma delta orbit north south east west spring summer autumn winter ledger atlas "
        "harbor meadow quarry signal tundra"
    ).split(" ")
)
FILE_STEMS = tuple(
    (
        "notes todo readme draft summary list plan memo log report index budget minutes agenda "
        "ideas journal inventory roster schedule recipe letter outline review checklist receipt "
        "manifest sketch status backlog digest"
    ).split(" ")
)
FILE_EXTS = tuple((".txt .md .log .csv").split(" "))
KEYWORDS = tuple(
    (
        "ORCHID COBALT PELICAN SAFFRON GRANITE LANTERN MOSSWOOD QUARTZ TAMARIND VERMILION WALRUS "
        "ZEPHYRINE AMBERLY BRAMBLE CINDER DAMASK EMBERTON FOXGLOVE GALLEON HEMLOCK INDIGO "
        "JUNIPERA KRAKEN LUPINE MARIGOLD NETTLE OBSIDIAN PAPRIKA QUILLON RHUBARB SEQUOIA THISTLE "
        "UMBRELLA VALERIAN WISTERIA YARROWIN ZINNIA ALDER BASALT CAMPHOR DYNAMO EGRET FERRULE "
        "GYPSUM HALIBUT IBEX JASPER KELPIE LICHEN MAGPIE NUTMEG OSPREY PUMICE QUETZAL RAVELIN "
        "SORBET TOPAZ URCHIN VORTEX WOMBAT"
    ).split(" ")
)
NOISE_WORDS = tuple(
    (
        "meeting moved budget review pending draft shipment backup weekly quarter invoice sample "
        "cleanup migrate version summary template printer coffee lunch holiday ticket server "
        "window garden bicycle paint lamp parcel schedule"
    ).split(" ")
)

ROOMS = tuple(
    (
        "kitchen,hallway,bedroom,study,bathroom,garage,pantry,attic,cellar,living room,library,"
        "nursery,laundry,dining room,workshop,conservatory,guest room,office"
    ).split(",")
)
MATERIALS = tuple(
    (
        "oak pine walnut steel tin wicker red blue green grey white black yellow cedar birch "
        "copper glass maple plastic velvet"
    ).split(" ")
)
#: Container kinds that can be opened, closed and locked.
BOXES = tuple(
    ("chest cabinet drawer box safe trunk wardrobe locker crate case cupboard strongbox").split(" ")
)
#: Open surfaces things can be put on (never closed).
SURFACES = tuple(("table shelf counter bench desk basket tray rack").split(" "))
KEY_METALS = tuple(
    (
        "brass iron silver copper bronze steel gold nickel pewter zinc chrome cobalt titanium "
        "platinum lead tin"
    ).split(" ")
)
ITEMS = tuple(
    (
        "ring mug book candle scarf watch compass teapot spoon vase lantern kite globe flute "
        "glove hat locket map pen bell brush clock dice fan jar kettle mirror notebook pillow "
        "radio"
    ).split(" ")
)
ITEM_ADJECTIVES = tuple(
    ("silver blue old tiny striped golden wooden red green paper woollen cracked").split(" ")
)


class Draw:
    """Fast draws for world generation, seeded from the env's ``np_random``.

    A generator makes hundreds of small draws per episode; numpy's per-call overhead would
    dominate, so one numpy draw seeds a :class:`random.Random`, and every draw here is built
    on its ``random()`` alone: the one method whose sequence Python guarantees across
    versions for a given seed (``choice``/``sample`` of :mod:`random` carry no such promise).
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self._random = random.Random(int(rng.integers(2**63))).random

    def below(self, n: int) -> int:
        """An integer in ``[0, n)``."""
        return int(self._random() * n)

    def between(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``."""
        return lo + int(self._random() * (hi - lo + 1))

    def choice(self, pool: Sequence[T]) -> T:
        """One element of ``pool``."""
        return pool[int(self._random() * len(pool))]

    def sample(self, pool: Sequence[T], k: int) -> list[T]:
        """``k`` distinct elements of ``pool`` in random order (a partial Fisher-Yates shuffle)."""
        if k > len(pool):
            raise ValueError(f"cannot draw {k} distinct names from a pool of {len(pool)}")
        if 4 * k <= len(pool):  # few from many: rejection is cheaper than copying the pool
            seen: set[int] = set()
            out = []
            while len(out) < k:
                j = int(self._random() * len(pool))
                if j not in seen:
                    seen.add(j)
                    out.append(pool[j])
            return out
        items = list(pool)
        for i in range(k):
            j = i + int(self._random() * (len(items) - i))
            items[i], items[j] = items[j], items[i]
        return items[:k]
