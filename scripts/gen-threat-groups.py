#!/usr/bin/env python3
"""Generate the threat-group term lists of the default topic pack from the MISP galaxy.

Reads three MISP galaxy clusters (CC0 1.0 / BSD 2-Clause, see
shared/gazetteers/PROVENANCE.txt) and writes a TOML fragment with five term
lists, each deduplicated and sorted by its normalised form (lower case,
diacritics folded, every run of non-alphanumerics one space -- the same
normalisation as docs/topics.md):

  threat_group            names and aliases of state-linked / espionage groups
                          that are distinctive enough to stand alone;
  threat_group_ambiguous  context phrases ("Tick APT", "Tick hackers") for the
                          aliases of those groups that are ordinary words;
  crime_group             names of financially motivated (criminal) groups, for
                          the pack's negative side;
  surveillance_vendor     spyware / surveillance vendor names;
  defence_university      China Defence Universities Tracker names.

Usage:
  scripts/gen-threat-groups.py [--gazetteers DIR] [--out FILE]
  scripts/gen-threat-groups.py --splice PACK [--gazetteers DIR]

--splice PACK rewrites PACK in place: for each list NAME it replaces the
lines between `# BEGIN GENERATED NAME` and `# END GENERATED NAME` with
`any = [ ... ]` holding that list (the markers stay). A missing marker is an
error naming the file and the marker; PACK is then left untouched.

A summary (counts per list, what was skipped and why) goes to stderr.

Classification of a threat-actor entry (first rule that applies wins)
---------------------------------------------------------------------
* STATE (strong): `cfr-suspected-state-sponsor` names a state (not
  "Unknown"), or `cfr-type-of-incident` includes Espionage, Sabotage or
  Information Operations, or `motive` mentions espionage, or a name or alias
  follows a vendor's state naming scheme (CrowdStrike PANDA, BEAR, KITTEN,
  CHOLLIMA, TIGER, LEOPARD, BUFFALO, CRANE ...; Microsoft Typhoon, Blizzard,
  Sandstorm, Sleet, Cyclone, Hail, Dust). Such a group goes to threat_group
  even when it is also criminal (Lazarus, APT41).
  A sponsor does not count when the entry's own name is a criminal one
  (WIZARD SPIDER carries a CFR sponsor but is the TrickBot/Conti crew).
* CRIME: `cfr-type-of-incident` Financial Theft / Business Email Compromise /
  Extortion, `motive` cybercrime or financial, or a criminal naming scheme
  (FIN7, GOLD x, x SPIDER, x Tempest, Water x, x Libra, x Scorpius).
* HACKTIVIST: `motive` Hacktivists, a JACKAL name, or a description that says
  hacktivist -> skipped (not evidence of state hacking, not crime either).
* Then the description: one that speaks of crime (financially motivated,
  ransomware, fraud, banking malware...) and not of espionage or states makes
  the group CRIME; with a `country` of attribution only an explicit criminal
  motive ("financially motivated", "cybercriminal") does.
* STATE (weak): a `country` of attribution, an APTnn, Secureworks state
  (BRONZE, IRON, COBALT, NICKEL, TUNGSTEN), Trend Micro "Earth", Unit 42
  CL-STA / TGR-STA or CERT-UA UAC-nnnn name, or a description that speaks of
  espionage, state sponsorship, APT, a Chinese/Russian/Iranian/North Korean
  actor, or (when it says nothing of crime) of diplomats, embassies,
  government networks or the military as targets.
* Anything else is skipped as unclassified.
The descriptions are only read for these keywords; no description text is
copied into the output.

Which aliases are ambiguous (threat groups)
-------------------------------------------
A leading "The" is dropped first ("The Dukes" -> "Dukes"). Then an alias is
* skipped when it is empty after normalisation, has fewer than 3 letters or
  digits, is only digits, is a plain country/region name, or is made only of
  generic words ("hackers", "Unnamed Actor", "Group 6", "Group 72");
  a name in EXCLUDE (it names something else: "Alibaba", "PLA Navy") is
  dropped too;
* AMBIGUOUS when it is a single word that
    - has at most 4 letters and no digit ("UPS", "LEAD", "SEA", "Tick", "GOP"),
    - or is in COMMON_WORDS below: a few hundred ordinary English (and a few
      other-language) words, including the chemical elements that ordinary
      news mentions ("Zinc", "Gallium", "Mercury"; rarer elements such as
      Hafnium or Strontium stay distinctive),
    - or is in NAMES: first names, brands, places, mythological and fictional
      names ("Lazarus", "Lexus", "Popeye", "Polaris", "Elbrus");
  or when it is a multi-word alias listed in COMMON_PHRASES, phrases that name
  ordinary things too ("Silver Fox", "Sea Turtle", "Cold River", "Wolf
  Spider", "Cloud Atlas", "Double Dragon");
* distinctive otherwise: words with a digit (APT28, UNC2452), rare words
  (Turla, Kimsuky, Hafnium), and multi-word names (Salt Typhoon, Cozy Bear,
  Equation Group), whose combination is distinctive.
News often drops the suffix of "X Group" / "X Team" / "X Gang" / "X Crew" /
"X APT", so the head word X is considered as an alias too: "Gamaredon Group"
gives "Gamaredon" (distinctive), "Lazarus Group" gives "Lazarus" (a name:
context phrases only, "Lazarus hackers", "Lazarus APT").
COMMON_WORDS also holds a few words of other languages that equal an alias
once diacritics are folded (Finnish "elämän" = "Elaman", Hungarian "húst" =
"HUST", Icelandic "haust" = "HAUST", German "Röcke" = "Rocke"), found by
scanning ordinary text.
For an ambiguous alias X the generator emits the context phrases
  "X APT", "APT X", "X hackers", "X hacking group", "hacking group X",
  "X threat actor"
(never "X group" / "group X": "lead group", "Sea Group", "UPS group" and
"group lead" are ordinary text). Crime-group aliases follow the same rule
and, when ambiguous, become "X ransomware", "X gang", "X hackers",
"X hacking group" in crime_group. Surveillance vendors named like an
ordinary word or first name ("Area", "Circles", "Max", "Paragon") become
"X spyware"; vendors that are large diversified companies or consumer apps
(MAINSTREAM_VENDORS: defence primes, ad-tech, telecoms, a university) are
skipped, since their names are not evidence of surveillance. University
names are kept when at least one word is specific (a place, a pinyin name,
"China", "PLA"); generic ones ("Naval Command College", "Northeastern
University") are skipped, as are acronyms of fewer than 4 letters (HIT, BIT)
and Chinese names of fewer than 5 characters (a 4-character name such as
湖南大学 also matches inside 湖南大学生, "Hunan college students").

A term that appears in more than one list is kept only in the first of:
threat_group, threat_group_ambiguous, surveillance_vendor,
defence_university, crime_group.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

LISTS = (
    "threat_group",
    "threat_group_ambiguous",
    "crime_group",
    "surveillance_vendor",
    "defence_university",
)
PRIORITY = (
    "threat_group",
    "threat_group_ambiguous",
    "surveillance_vendor",
    "defence_university",
    "crime_group",
)
HEADER = (
    "# Generated by scripts/gen-threat-groups.py from the MISP galaxy (CC0/BSD); "
    "do not edit by hand."
)
WRAP = 100

THREAT_CONTEXT = ("{} APT", "APT {}", "{} hackers", "{} hacking group", "hacking group {}",
                  "{} threat actor")
CRIME_CONTEXT = ("{} ransomware", "{} gang", "{} hackers", "{} hacking group")
VENDOR_CONTEXT = ("{} spyware",)

# ---------------------------------------------------------------------------
# Word lists.

# Ordinary words: a single-word alias in this set is ambiguous, and so is a
# multi-word alias made only of these (and generic) words when it is listed in
# COMMON_PHRASES. Chosen from English words that occur in threat-actor and
# vendor names, plus frequent words in general.
COMMON_WORDS = set("""
about above academy accent access acid act action active actor adept admin agent alert alley
alliance alloy alpha amber amoeba anchor angel anger angry animal answer apple april aqua
arch area army arrow art ash atlas atom aurora autumn avalanche axiom axis baby badger
bamboo bandit bank barium barn basin bat battalion beacon beam bear beast bee beetle bell
berry big bird bishop bison bit bitter black blackjack blade blast blaze blind blizzard
block blood bloom blossom blue bluebottle board boat body bold bolt bomb bone book boom
boron boss bottle boulder box brain branch brass brave bread break breeze brick bridge
bright broken bronze brother brown buckeye buffalo bug bull bullet bunny bureau burn
butler butterfly button cabin cactus cadet cage cake calcium calm calypso camel camera
camp canary candle candy cannon canvas canyon capital captain car carbon cardinal cargo
carp carpet casino castle cat cave cavern cedar cell center central chain chair chalk
champion chance channel chaos charcoal charm charming chase cheese cherry chess chicken
chief child chimera chip chromium cicada cinder cinnamon circle circles circuit circus
citadel city clan claw clean clear cleaver clever cliff climate clock cloud cloudy clown
club coal coast cobalt cobra code coffee coin cold collective comet comfort command comment
common compass conference copper copy coral core corn corsair cosmic cottage cotton
council country cousin covert cow coyote crab crane crash crazy cream creek crescent crew
cricket crimson cross crow crown crystal cube cupid curious current curtain cyclone dagger
dance dancing danger dark data dawn day daybreak deep deer delta demon desert desktop
destiny devil diamond dice digital dino dinosaur direct doctor dog dogfish dolphin domain
domestic donkey door double dove dragon dragonfly drake dream drift drop duck duke dukes
dune dust eagle earth east echo eclipse edge eel egg elephant elite ember emerald emperor
empire energy engine epic epsilon equation error escape evergreen evil exchange exotic
expert export express extreme eye eyes face factory fairy falcon fallout famous fancy
fang farm fast father feather fence ferret field fighter fire firefly fish fisher fishing
flag flame flash flax fleet flight flood flower fly flying focus fog force forest fortune
fox frame freedom friend frog frontier frost fruit fury fusion galaxy gallium game gang
garden gate gazelle gem general genesis gentlemen ghost giant gift ginger glass globe
glory goat goblin gold golden goldfish golf goose gorilla grace graceful granite grape
grass gray great green grey grid grim grizzly ground group grove guard guardian guest
guide guru gypsy hail hammer hand harbor harvest hawk haze hazel head heart heat helium
hell helix hemlock hero heron hidden highland hill hippo hive holy home homeland honey
honeybee hook hope horizon horn horse hound house hunter hunters hurricane ice icecap
idea image imperial impulse infinity iridium iris iron island ivory ivy jackal jade jaguar
jet jewel joker journey judge judgment jump jungle junk justice karma kestrel key keyhole
keystone killer king kingdom kiss kite kitten kitty knight knockout koala krypton lab lace
lady lagoon lake lamp land lantern laser laundry lava lead leaf legend lemon leopard level
leviathan liberty light lightning lilac lily lime linen lion lizard lobster lock lone
long longhorn lotus love lucky lunar lurid lynx lyric machete magic magnesium magnet
magnetic major mallard mammoth manganese mango mantis maple marble marigold marine mark
market mars mask master maverick maze meadow medal media medley melody mercury mermaid
metal meteor midnight mint mirage mirror mission mist mobile monarch money monkey monsoon
monster moon moonlight moose morning moth mother mountain mouse mud muddy mulberry mule
mummy murky mushroom mustang mustard mystery mythic nail narwhal nation navy needle
needles neon nest net network newscaster news nexus nickel night nightshade ninja noble
nomad north nova nylon oak ocean octopus office olive omega onyx opal open orange orbit
orchid origin otter outlaw owl oxygen pacific palace pale palm panda panther paper
parrot partner paste patch patchwork path peace peach peacock pearl pen pencil people
pepper phantom phoenix phosphorus pickaxe pig pilot pine pink pioneer pipe pirate pirates
pistachio pixel plain planet plastic platinum play plum plutonium point poison polar
polonium pond pony potassium power predator prelude president primer prince prism
prophet puma pumpkin punch punk pupa puppy purple puzzle python quail queen quest quick
rabbit radar radio radium rain rainbow ram rancor ranger rat rattlesnake raven razor reaper
rebel red reef relic remote rhino ribbon rich riddle ridge ring river riverside road robin
robot rock rocket rogue roman root rose rotten royal ruby rust sable saber sabre safari
saffron sage sail saint salamander salmon salt salty samurai sand sandman sands sandstorm
sapphire satin saturn scarab scarlet scatter scattered scimitar scorpion scout sea seal
seashell season secret seed sentinel serpent shade shadow shark sharp sheep shell shield
shore siesta signal silence silent silicon silk silver silverfish singing sister skeleton
sky skyline slayer sleet slingshot smoke smoky snake sniper snow social society sodium
soft solar soldier soldiers souls sound space spark sparrow spear spectral sphinx spice
spicy spider spike spiral spire spirit sponge spring spy squad square squid squirrel
stadium stage star stargazer starlight static steel steppe sterling sticky stone storm
strawberry stream street strike sugar sulphur summer summit sun sunrise sunset superman
swallowtail swan swift sword symphony tango tapestry target taskmasters tea team temple
tempest terminal termite test thallium the thief thunder tick tide tiger timber tin tiny
titan toad tomato tornado tortoise tortoiseshell tower toxic trade trader trail train
transparent traveler traveling treasure tree triad tribe trident trinity trooper tropic
tropical trust tulip tundra tunnel turbine turtle twilight twisted twister typhoon ugly
umbrella union unit united unity universe ups urban valley vampire vanguard vanilla vapor
vault vector velvet venom venomous vermin vice viceroy vicious village vine violet violin
viper vixen void volcano voodoo voyager voyeur vulture walker wall walrus wander wandering
warlock warp warrior wasp watch watchdog water waterfall wave weasel web webmasters
werewolf west wet whale whisper white wicked wild wind window windy wine winter wisp
wisteria witch wizard wolf wolverine wood woodland woolen world worm wraith yellow yeti
zebra zero zeta zigzag zinc zirconium zombie zone
aluminium aluminum bismuth bromine chlorine hydrogen lithium neodymium nitrogen sulfur
titanium tungsten uranium cesium caesium argon xenon
hoodoo elfin lyceum cleaver trident reaper pioneer mirage mercury
antlion billbug blackfly budworm sowbug springtail thrip thrips waterbug palmerworm vedalia
witchetty groundbait snowglobe nitro strider foudre cadelle spirlin lamberts sauron
ghost ghosts havoc hunter raptor serpent shadowbrokers
comment conference fallout tailgater whois pacifier equation
ability actuate aegis utility resonant lightspeed nightingale gaggle kickboard trenchant
paragon gospel just cast nice key integrity logic analytical business support dream zero
horizon shield sentinel sonar first european vigilant zenith stellar obvious killer
decision grand barriers clues massive effect fifth dimension spy bubble optic optics
discovery receiver smart communication communications worldwide protect electronic
rank one computing bold root lighthouse pilot lion
elaman rekor hust haust rocke guet casc almenta
blackjack bluebottle dogfish pupa
""".split())

# Names that read as ordinary proper nouns in news: given names, brands,
# places, gods, fictional characters, celestial bodies.
NAMES = set("""
lazarus lexus popeye polaris callisto indra elbrus chimborazo akira superman nemesis
kazu sima madi nian mimo infy luder karba vovan cardinal apollo athena zeus hermes
artemis odin loki thor kali shiva ganesh venus jupiter neptune pluto orion sirius
vega titan phoenix hydra medusa cerberus pegasus hercules achilles merlin arthur
sherlock watson dracula frankenstein batman joker darwin tesla edison newton einstein
sophia maria anna elena victor alex max sam leo luna oscar felix hugo bruno carlos
diego pedro paulo ivan boris olga natasha sasha mike john james david peter george
nemo bambi tarzan robin hood zorro rambo rocky gollum yoda vader
sahara gobi tibet gaza baku kurdistan sahel lebanon donbas crimea kashmir seoul
tonto poseidon innova scylla movia balinese peterbald datong wuhan toloka gedion morpho
beijing shanghai moscow tehran pyongyang
labubu bahamut hellsing guacamaya parastoo blackwood grayling masan pushcha careto
solntsepek xinxin sarit sayad packrat xenotime dalbit tianwu luoyu pukchong
""".split())

# Multi-word aliases that also name ordinary things (animals, films, games,
# idioms, places, companies); they get context phrases.
COMMON_PHRASES = {
    "animal farm", "bad magic", "big bang", "big panda", "black shadow", "black technology",
    "brown fox", "clever kitten", "cloud atlas", "cold river", "common raven", "copy paste",
    "dark castle", "dark engine", "desert falcon", "desert falcons", "domestic kitten",
    "double dragon", "dust storm", "evil eye", "genesis day", "golden eye dog", "golden rat",
    "guardian of peace", "holy souls", "iron group", "island castle", "kiss a dog",
    "lotus blossom", "lucky cat", "night dragon", "red eyes", "red wolf", "river castle",
    "rotten tomato", "salted earth", "sands casino", "sea turtle", "shadow network",
    "shell crew", "silent ransom", "silver fox", "snake wine", "space pirates", "storm cloud",
    "ugly face", "white bear", "white giant", "wolf spider", "spring dragon", "red phoenix",
    "golden falcon", "blue termite", "shadow force", "soft cell", "crescent and star",
    "black vine", "red salamander", "blue python", "sea lotus", "magic hound", "team bear",
    "sharp dragon", "playful dragon", "snooping dragon", "ocean lotus",
    "prince of persia", "lebanese cedar", "pond loach", "night eagle", "red apollo",
    "shadow campaigns", "social network team", "fallout team", "bronze medley",
    "bronze university", "bronze union", "bronze spring", "bronze export", "bronze express",
    "bronze palace", "bronze globe", "bronze president", "iron frontier", "operation daybreak",
    "iron hunter", "saint bear", "lucky mouse", "solar phoenix", "test panda",
}
# Corporate words: a vendor name made only of these and COMMON_WORDS ("Key
# Technologies", "Blue Ocean", "Butterfly Effect") is ambiguous.
CORPORATE_WORDS = set("""
technologies technology solutions security systems system labs lab industries global mobile
digital intelligence analytics international innovation innovations development software
services consulting partners group corporation company tech telecom networks network
information ai inc ltd llc limited sa agency data plus
""".split())
# "ocean lotus" stays matched as the one-word "OceanLotus" form.

# Words that never make an alias distinctive on their own.
GENERIC_WORDS = set("""
the a an of and group groups team teams actor actors threat threats unknown unnamed
hackers hacker hacking hack apt campaign campaigns subgroup project gang crew
operation op cluster activity set intrusion malware ransomware cyber army
""".split())

# Aliases that name something else entirely (a company, a military branch):
# dropped, not even given context phrases.
EXCLUDE = {"alibaba", "pla navy", "st group", "beijing group", "china electronics",
           "国际关系学院"}

# Names made of generic words that are nevertheless the name of one actor.
KEEP = {"hacking team", "national university of defense technology"}

# Tokens that mark a vendor or self-chosen group name: a multi-word alias
# with one of them is a name, not a phrase.
GROUP_WORDS = set("""
group team gang crew army squad collective cartel society hackers apt operation unit
bureau battalion brigade panda bear kitten chollima spider jackal tiger leopard buffalo
crane typhoon blizzard sandstorm sleet tempest tsunami cyclone hail flood lightning
werewolf likho libra ursa taurus serpens pisces scorpius
""".split())

# Large diversified companies, platforms, consumer apps, telecoms and a
# university that appear in the surveillance-vendor cluster but whose names
# in ordinary news are not evidence of surveillance.
MAINSTREAM_VENDORS = set(s.strip() for s in """
booz allen hamilton|general dynamics|general atomics|leonardo|dassault|jacobs|unisys|
johnson controls|l3harris|nec corporation|axis communications|weibo|criteo|appsflyer|
similarweb|reliance jio|rostelecom|meltwater|lexisnexis|powerschool|realnetworks|
teledyne flir|israel aerospace industries|elbit industries|indra sistemas|qinetiq|hensoldt|
cobham|geotab|skydio|sz dji|hisilicon|bits pilani|aarogya setu|xuexi qiangguo|acxiom|
oracle|corecivic|g42|group 42|c3 ai|lightspeed|toloka|horizon robotics|geo group|axon|motorola solutions|palantir|idemia|g4s|rohde schwarz|
placer ai|safegraph|mobilewalla|near|intrado|exfo|endace|netronome|ercom|utimaco|
datadirect networks|cobham|jenoptik|general robotics|network solutions|positive technologies|
tekever|auterion|aerovironment|insitu|shield ai|helsing|knightscope|flock safety|genetec|
verkada|avigilon|pelco|videotec|infinova|uniview technologies|tiandy technologies|
dahua technology|senseTime|megvii|iflytek|cloudwalk technology|yitu|h3c technologies|
fiberhome|kape technologies|criteo|parrot|autel|draganfly|percepto|xtend|echodyne|
giza systems|johnson controls|smart communications|phunware|zencity|windward|primer|
logically|datastream group|equitus|veritone|reveal media|dreamlab technologies
""".replace("\n", "").split("|"))

# Country and region names (plain aliases that are only a place are dropped);
# extended at run time with every place named in the threat-actor cluster.
PLACES = {
    "china", "russia", "iran", "north korea", "south korea", "korea", "usa", "us",
    "united states", "america", "israel", "india", "pakistan", "vietnam", "ukraine",
    "belarus", "turkey", "syria", "lebanon", "palestine", "gaza", "egypt", "europe",
    "asia", "africa", "middle east", "uk", "britain", "united kingdom", "germany",
    "france", "spain", "italy", "taiwan", "japan", "dprk", "prc",
}

# Vendor naming schemes.
STATE_NAME_RE = re.compile(
    r"\b(panda|bear|kitten|chollima|tiger|leopard|buffalo|crane|typhoon|blizzard|sandstorm|"
    r"sleet|cyclone|hail)$",
    re.I,
)
STATE_WEAK_NAME_RE = re.compile(
    r"^(apt ?\d+|apt-c-\d+|apt-q-\d+|(bronze|iron|cobalt|nickel|tungsten) [a-z]+|earth [a-z]+|"
    r"cl-sta-\d+|tgr-sta-\d+|uac-\d+)$",
    re.I,
)
CRIME_NAME_RE = re.compile(
    r"^(fin\d+|gold [a-z]+|water [a-z]+)$|\b(spider|tempest|libra|scorpius)$", re.I
)
HACKTIVIST_NAME_RE = re.compile(r"\bjackal$", re.I)
# (A Secureworks COBALT/IRON name that ends in SPIDER etc. is matched by the
# crime pattern too; strong signals decide first.)

DESC_STATE = re.compile(
    r"espionage|state[- ]sponsored|nation[- ]state|state[- ]backed|state[- ]aligned|"
    r"state[- ]linked|\bapt\b|advanced persistent threat|intelligence service|military unit|"
    r"politically motivated|-aligned|-nexus|(russia|china|iran|north korea)[- ]based|"
    r"\b(chinese|russian|iranian|north korean)[- ](speaking )?(apt|threat|actor|group|hack)|"
    r"intelligence (gathering|collection)",
    re.I,
)
# Espionage-like targets: weak evidence, outweighed by any sign of crime.
DESC_TARGETS = re.compile(
    r"diplomat|embass|foreign affairs|government (agencies|entities|organi[sz]ations|networks)|"
    r"military|defen[cs]e (sector|contractor|industr|organi[sz]ations)",
    re.I,
)
DESC_CRIME = re.compile(
    r"financially[- ]motivated|financial gain|cyber ?crim|ransomware|banking "
    r"(trojan|malware)|\bextortion|\bfraud|carding|cryptojack|coin ?miner|crypto-?mining|"
    r"phishing-as-a-service|\bphaas\b|infostealer|access broker|malvertising|\bbec\b|"
    r"business email compromise|profit-driven|for profit|criminal group|criminal gang|"
    r"criminal organi[sz]ation|criminal entity|criminal network|crimeware|ecrime|e-crime",
    re.I,
)
DESC_CRIME_MOTIVE = re.compile(
    r"financially[- ]motivated|cyber ?crim|criminal (group|gang|organi[sz]ation|entity|network)|"
    r"ecrime|e-crime",
    re.I,
)
DESC_HACKTIVIST = re.compile(r"hacktivis", re.I)

# ---------------------------------------------------------------------------
# Normalisation (docs/topics.md).

_FOLD = {"ł": "l", "ß": "ss", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
         "œ": "oe", "ı": "i", "ё": "е"}
_INVISIBLE = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e",
              "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"}


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for ch in text:
        if ch in _INVISIBLE:
            continue
        if ch in _FOLD:
            out.append(_FOLD[ch])
            continue
        if ch.isalpha() and "LATIN" in unicodedata.name(ch, ""):
            base = "".join(c for c in unicodedata.normalize("NFD", ch)
                           if not unicodedata.combining(c))
            out.append(base)
            continue
        out.append(ch if ch.isalnum() else " ")
    return " ".join("".join(out).split())


def is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA"))


def tidy(name: str) -> str:
    """The display form of a name: no `*`, spacing collapsed, a leading
    "The" and trailing punctuation dropped, all-caps multi-word names in
    title case ("GOTHIC PANDA" -> "Gothic Panda")."""
    name = unicodedata.normalize("NFKC", name).replace("*", " ")
    name = " ".join(name.split()).strip(" ,;:.")
    if name.lower().startswith("the ") and len(name.split()) > 1:
        name = name[4:]
    words = name.split()
    if len(words) > 1 and all(w.isupper() or not any(c.isalpha() for c in w) for w in words):
        name = " ".join(w.capitalize() if w.isalpha() and len(w) >= 3 and w not in ACRONYMS
                        else w for w in words)
    return name


ACRONYMS = {"APT", "PLA", "NCO", "PAP", "CAPF", "UAC", "UNC", "TAG", "DEV", "STA", "CRI",
            "UNK", "NBC", "SMF", "USA", "PRC", "DPRK", "AI", "CI", "IT"}


# ---------------------------------------------------------------------------


class Lists:
    """Terms per list, keyed by their normalised form, plus skip reasons."""

    def __init__(self) -> None:
        self.terms: dict[str, dict[str, str]] = {name: {} for name in LISTS}
        self.skipped: dict[str, Counter] = defaultdict(Counter)
        self.examples: dict[tuple[str, str], list[str]] = defaultdict(list)

    def add(self, lst: str, term: str) -> None:
        key = normalise(term)
        if not key:
            return
        have = self.terms[lst].get(key)
        if have is None or _display_rank(term) < _display_rank(have):
            self.terms[lst][key] = term

    def skip(self, lst: str, reason: str, name: str) -> None:
        self.skipped[lst][reason] += 1
        ex = self.examples[(lst, reason)]
        if len(ex) < 6 and name not in ex:
            ex.append(name)


def _display_rank(term: str) -> tuple:
    # Prefer mixed case over ALL CAPS, fewer punctuation marks, then text order.
    letters = [c for c in term if c.isalpha()]
    all_caps = bool(letters) and all(c.isupper() for c in letters) and len(letters) > 4
    punct = sum(1 for c in term if not (c.isalnum() or c == " "))
    return (all_caps, punct, term)


def alnum_count(key: str) -> int:
    return sum(1 for c in key if c.isalnum())


def basic_skip(key: str, places: set[str]) -> str | None:
    """Why a name cannot be a term at all, or None."""
    if not key:
        return "no letters or digits"
    if key.replace(" ", "").isdigit():
        return "only digits"
    has_digit = any(c.isdigit() for c in key)
    if alnum_count(key) < 3 and not has_digit:
        return "fewer than 3 letters"
    if alnum_count(key) < 3 and has_digit and not any(c.isalpha() for c in key):
        return "fewer than 3 letters"
    if key in places:
        return "country or region name"
    if key in EXCLUDE:
        return "names something else (company, armed service)"
    tokens = key.split()
    if key in KEEP:
        return None
    # "Group 6", "Unnamed Actor", "hackers"; but not "APT 32" or "APT-C-06".
    if all(t in GENERIC_WORDS or (t.isdigit() and len(t) <= 2) for t in tokens):
        if not (tokens[0] == "apt" and len(tokens) == 2 and tokens[1].isdigit()):
            return "generic words only"
    return None


def ambiguity(key: str) -> str | None:
    """Why an alias (normalised) cannot stand alone, or None if distinctive."""
    tokens = key.split()
    if len(tokens) == 1:
        word = tokens[0]
        if any(c.isdigit() for c in word):
            return None
        if any(is_cjk(c) for c in word):
            return None if len(word) >= 3 else "short"
        if len(word) <= 4:
            return "4 letters or fewer"
        if word in COMMON_WORDS:
            return "common word"
        if word in NAMES:
            return "name, brand or place"
        return None
    if key in COMMON_PHRASES:
        return "common phrase"
    return None


# ---------------------------------------------------------------------------
# Threat actors.


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def classify_actor(entry: dict) -> tuple[str, str]:
    """(class, why) with class in state / crime / hacktivist / unknown."""
    meta = entry.get("meta") or {}
    names = [entry.get("value", "")] + list(meta.get("synonyms") or [])
    names = [" ".join(str(n).split()) for n in names]
    sponsors = [s for s in _as_list(meta.get("cfr-suspected-state-sponsor"))
                if s and s.strip().lower() != "unknown"]
    incidents = {str(s).lower() for s in _as_list(meta.get("cfr-type-of-incident"))}
    motive = " ".join(str(m) for m in _as_list(meta.get("motive"))).lower()
    desc = entry.get("description") or ""

    if incidents & {"espionage", "sabotage", "information operations"}:
        return "state", "incident type"
    if "espionage" in motive:
        return "state", "motive"
    # A sponsor outweighs criminal signals (Lazarus), except when the entry's
    # own name is a vendor's criminal name (WIZARD SPIDER, the Conti/TrickBot
    # operators, carries a CFR sponsor but is tracked as eCrime).
    if sponsors and not CRIME_NAME_RE.search(names[0]):
        return "state", "state sponsor"
    if any(STATE_NAME_RE.search(n) for n in names):
        return "state", "state naming scheme"

    if (incidents & {"financial theft", "business email compromise", "extortion"}
            or "cybercrime" in motive or "financ" in motive):
        return "crime", "incident type / motive"
    if any(CRIME_NAME_RE.search(n) for n in names):
        return "crime", "criminal naming scheme"
    if "hacktivist" in motive or any(HACKTIVIST_NAME_RE.search(n) for n in names) \
            or DESC_HACKTIVIST.search(desc):
        return "hacktivist", "hacktivist"
    # From here on the description decides between crime and state; when it
    # speaks of both (espionage and financial gain), state wins.
    desc_state, desc_crime = DESC_STATE.search(desc), DESC_CRIME.search(desc)
    country = (meta.get("country") or "").strip()
    # With a country of attribution, only an explicit criminal motive makes a
    # group criminal (a state group may deploy ransomware or sell data).
    if country and DESC_CRIME_MOTIVE.search(desc) and not desc_state:
        return "crime", "description"
    if not country and desc_crime and not desc_state:
        return "crime", "description"
    if country:
        return "state", "country"
    if sponsors:
        return "state", "state sponsor"
    if any(STATE_WEAK_NAME_RE.match(n) for n in names):
        return "state", "APT / state naming scheme"
    if desc_state or (DESC_TARGETS.search(desc) and not desc_crime):
        return "state", "description"
    if incidents & {"denial of service", "defacement"}:
        return "hacktivist", "incident type"
    return "unknown", "no attribution"


def actor_places(entries: list[dict]) -> set[str]:
    places = set(PLACES)
    for e in entries:
        meta = e.get("meta") or {}
        for key in ("cfr-suspected-victims", "cfr-suspected-state-sponsor"):
            for p in _as_list(meta.get(key)):
                places.add(normalise(str(p)))
    return places


def do_actors(entries: list[dict], lists: Lists, stats: Counter) -> None:
    places = actor_places(entries)
    # Group-level classification first, so an alias shared by a state group
    # and a criminal one ends up on the state side.
    per_class: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        cls, why = classify_actor(e)
        stats[f"groups {cls} ({why})"] += 1
        if cls in ("hacktivist", "unknown"):
            lists.skip("threat_group", f"group {cls}", e.get("value", ""))
            continue
        meta = e.get("meta") or {}
        names = [e.get("value", "")] + list(meta.get("synonyms") or [])
        per_class[cls].extend(str(n) for n in names)

    state_keys = {normalise(t) for n in per_class["state"]
                  for t in [tidy(n)] + derived_names(tidy(n))}
    for cls, target, amb_target, context in (
        ("state", "threat_group", "threat_group_ambiguous", THREAT_CONTEXT),
        ("crime", "crime_group", "crime_group", CRIME_CONTEXT),
    ):
        for raw in per_class[cls]:
            # "Operation X (Y)", "APT-Q-27," and bracketed placeholders.
            if raw.startswith("[") and raw.endswith("]"):
                lists.skip(target, "placeholder", raw)
                continue
            name = tidy(re.sub(r"\s*\([^)]*\)", "", raw))
            if raw.lower().startswith("subgroup:"):
                name = tidy(raw.split(":", 1)[1])
            for name in [name] + derived_names(name):
                add_actor_name(lists, name, cls, target, amb_target, context, state_keys, places)


def derived_names(name: str) -> list[str]:
    """News often drops the suffix: "Lazarus Group" -> "Lazarus", "Sandman
    APT" -> "Sandman". The head word then goes through the same rules."""
    m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)[ -](group|team|gang|crew|apt)", name, re.I)
    if m and normalise(name) not in EXCLUDE:
        return [m.group(1)]
    return []


def context_base(name: str) -> str:
    # "ZINC" and "Zinc" give one set of phrases, in title case.
    if name.isupper() and len(name) > 4 and name.isalpha():
        return name.capitalize()
    return name


def add_actor_name(lists: Lists, name: str, cls: str, target: str, amb_target: str,
                   context: tuple[str, ...], state_keys: set[str], places: set[str]) -> None:
    key = normalise(name)
    if cls == "crime" and key in state_keys:
        lists.skip(target, "also a state group's alias", name)
        return
    why = basic_skip(key, places)
    if why:
        lists.skip(target, why, name)
        return
    amb = ambiguity(key)
    if amb is None:
        lists.add(target, name)
    else:
        lists.skip(target, f"ambiguous: {amb} (context phrases instead)", name)
        for pattern in context:
            lists.add(amb_target, pattern.format(context_base(name)))


# ---------------------------------------------------------------------------
# Surveillance vendors.

LEGAL_SUFFIX = re.compile(
    r"[\s,]+(inc|ltd|llc|limited|corp|corporation|co|gmbh|sa|s\.a|sdn bhd|zrt|fzco|"
    r"n\.v|plc|ag)\.?$",
    re.I,
)


def do_vendors(entries: list[dict], lists: Lists) -> None:
    mainstream = {normalise(v) for v in MAINSTREAM_VENDORS if v}
    for e in entries:
        meta = e.get("meta") or {}
        value = str(e.get("value", ""))
        if normalise(value) in mainstream:
            lists.skip("surveillance_vendor", "mainstream company", value)
            continue
        names = [value] + [str(s) for s in (meta.get("synonyms") or [])]
        products = {normalise(str(p)) for p in (meta.get("products") or [])}
        for raw in names:
            name = raw
            # "Group 42 (G42)", "Asia Global Technologies (AGT)": keep both parts.
            parts = [re.sub(r"\s*\([^)]*\)", "", name)] + re.findall(r"\(([^)]*)\)", name)
            for part in parts:
                for piece in part.split(" / "):
                    piece = tidy(piece)
                    while LEGAL_SUFFIX.search(piece):
                        piece = LEGAL_SUFFIX.sub("", piece).strip()
                    key = normalise(piece)
                    if key in mainstream:
                        lists.skip("surveillance_vendor", "mainstream company", piece)
                        continue
                    if key in products:
                        lists.skip("surveillance_vendor", "product name", piece)
                        continue
                    why = basic_skip(key, PLACES)
                    if why:
                        lists.skip("surveillance_vendor", why, piece)
                        continue
                    amb = ambiguity(key)
                    if amb is None and len(key.split()) == 1 and key.isalpha() \
                            and piece.isupper() and len(key) <= 5:
                        amb = "short acronym"
                    if amb is None and len(key.split()) > 1 and all(
                            t in COMMON_WORDS or t in CORPORATE_WORDS or t.isdigit()
                            for t in key.split()):
                        amb = "ordinary words"
                    if amb is None:
                        lists.add("surveillance_vendor", piece)
                    else:
                        lists.skip("surveillance_vendor",
                                   f"ambiguous: {amb} (\"X spyware\" instead)", piece)
                        for pattern in VENDOR_CONTEXT:
                            lists.add("surveillance_vendor",
                                      pattern.format(context_base(piece)))


# ---------------------------------------------------------------------------
# Defence universities.

UNIVERSITY_GENERIC = set("""
of the and for university universities institute institutes college academy school
technology technological science sciences engineering research center centre laboratory
key national defense defence military medical medicine air force army navy naval
command logistics aviation aeronautics aeronautical astronautics aerospace special police
equipment information international relations politics studies social management cadre
first second third fourth fifth ninth tenth base testing training general design
department no nco officer officers petty sergeant sergeancy flight flying communication
communications early warning engineering infantry armored armoured forces artillery
defense border coastal transportation service services operations strategic missile
force rocket submarine security public normal polytechnic electronic electronics
electrical posts telecommunications chemical mining geosciences north south east west
northeast northeastern northwest southeast southwest central computing computational
simulation system systems complex physics industrial industry corporation group company
limited nuclear shipbuilding ordnance commercial aircraft radar medical foreign languages
language people s peoples armed capf pap nbc administrative planning division railway
space applied
""".split())


def do_universities(entries: list[dict], lists: Lists) -> None:
    for e in entries:
        meta = e.get("meta") or {}
        value = str(e.get("value", ""))
        names = [re.sub(r"\s*\([^)]*\)\s*$", "", value)]
        names += [i for i in re.findall(r"\(([^)]*)\)\s*$", value)
                  if any(is_cjk(c) for c in i) or re.fullmatch(r"[A-Z0-9&/-]{3,}", i.strip())]
        names += [str(a) for a in (meta.get("aliases") or [])]
        for raw in names:
            # Descriptive aliases such as "No. 33 Research Institute, Third Academy
            # of CASIC" or "... (CALT)": keep the acronym in brackets, drop the rest.
            inner = [i for i in re.findall(r"\(([^)]*)\)", raw)
                     if re.fullmatch(r"[A-Z0-9&/-]{3,}", i.strip()) or any(is_cjk(c) for c in i)]
            name = tidy(re.sub(r"\s*\([^)]*\)", "", raw))
            name = re.sub(r"^a\.k\.a\.?\s+", "", name, flags=re.I)
            candidates = [name] + [tidy(i) for i in inner]
            for cand in candidates:
                key = normalise(cand)
                why = basic_skip(key, PLACES)
                if why:
                    lists.skip("defence_university", why, cand)
                    continue
                if any(is_cjk(c) for c in key):
                    if sum(1 for c in key if is_cjk(c)) < 5:
                        lists.skip("defence_university", "Chinese name under 5 characters", cand)
                        continue
                    lists.add("defence_university", cand)
                    continue
                tokens = key.split()
                if "," in cand or len(tokens) > 9:
                    lists.skip("defence_university", "descriptive alias", cand)
                    continue
                if len(tokens) == 1:
                    word = tokens[0]
                    if cand.isupper() or any(c.isdigit() for c in word):
                        if len(word) < 4 and not any(c.isdigit() for c in word):
                            lists.skip("defence_university", "acronym under 4 letters", cand)
                            continue
                    if word in COMMON_WORDS or word in NAMES:
                        lists.skip("defence_university", "common word", cand)
                        continue
                    if len(word) < 4:
                        lists.skip("defence_university", "acronym under 4 letters", cand)
                        continue
                    lists.add("defence_university", cand)
                    continue
                if key not in KEEP and all(
                        t in UNIVERSITY_GENERIC or t.isdigit() or len(t) <= 1 for t in tokens):
                    lists.skip("defence_university", "generic institution name", cand)
                    continue
                lists.add("defence_university", cand)


# ---------------------------------------------------------------------------
# Output.


def toml_string(term: str) -> str:
    return json.dumps(term, ensure_ascii=False)


def width(text: str) -> int:
    """Display columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def render_array(terms: list[str], indent: str = "  ") -> list[str]:
    lines, line = [], indent
    for term in terms:
        item = toml_string(term) + ","
        if line.strip() and width(line) + 1 + width(item) > WRAP:
            lines.append(line)
            line = indent
        line = (line + " " + item) if line.strip() else (indent + item)
    if line.strip():
        lines.append(line)
    return lines


def render_fragment(result: dict[str, list[str]]) -> str:
    out = [HEADER]
    for name in LISTS:
        out.append(f"{name} = [")
        out.extend(render_array(result[name]))
        out.append("]")
    return "\n".join(out) + "\n"


def splice(pack: Path, result: dict[str, list[str]]) -> None:
    text = pack.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for name in LISTS:
        begin, end = f"# BEGIN GENERATED {name}", f"# END GENERATED {name}"
        b = [i for i, l in enumerate(lines) if l.strip() == begin]
        if not b:
            sys.exit(f"error: {pack}: marker `{begin}` not found")
        e = [i for i, l in enumerate(lines) if l.strip() == end and i > b[0]]
        if not e:
            sys.exit(f"error: {pack}: marker `{end}` not found after `{begin}`")
        if len(b) > 1:
            sys.exit(f"error: {pack}: marker `{begin}` appears more than once")
        indent = lines[b[0]][: len(lines[b[0]]) - len(lines[b[0]].lstrip())]
        body = [f"{indent}any = [\n"]
        body += [l + "\n" for l in render_array(result[name], indent + "  ")]
        body.append(f"{indent}]\n")
        lines[b[0] + 1: e[0]] = body
    new = "".join(lines)
    if new != text:
        tmp = pack.with_name(pack.name + ".tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(pack)


def load_values(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
    except OSError as err:
        sys.exit(f"error: cannot read {path}: {err.strerror}")
    except json.JSONDecodeError as err:
        sys.exit(f"error: {path}: not JSON: {err}")
    values = data.get("values") if isinstance(data, dict) else None
    if not isinstance(values, list):
        sys.exit(f"error: {path}: no `values` list (not a MISP galaxy cluster?)")
    return values


def build(gazetteers: Path) -> tuple[dict[str, list[str]], Lists, Counter]:
    lists, stats = Lists(), Counter()
    do_actors(load_values(gazetteers / "threat-actor.json"), lists, stats)
    do_vendors(load_values(gazetteers / "surveillance-vendor.json"), lists)
    do_universities(load_values(gazetteers / "china-defence-universities.json"), lists)

    seen: set[str] = set()
    result: dict[str, list[str]] = {}
    for name in PRIORITY:
        kept = {}
        for key, term in lists.terms[name].items():
            if key in seen:
                lists.skip(name, "already in an earlier list", term)
                continue
            kept[key] = term
        seen.update(kept)
        result[name] = [kept[k] for k in sorted(kept)]
    return result, lists, stats


def summary(result: dict[str, list[str]], lists: Lists, stats: Counter) -> str:
    out = ["threat-actor groups by class (why):"]
    out += [f"  {n:4d}  {k}" for k, n in sorted(stats.items())]
    out.append("terms per list:")
    out += [f"  {len(result[n]):5d}  {n}" for n in LISTS]
    out.append("names skipped (per list, why, examples):")
    for name in LISTS:
        for reason, n in sorted(lists.skipped[name].items(), key=lambda x: (-x[1], x[0])):
            ex = ", ".join(lists.examples[(name, reason)])
            out.append(f"  {name}: {n:4d}  {reason}  [{ex}]")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gazetteers", type=Path, default=repo / ".." / "shared" / "gazetteers",
                    help="directory with the MISP galaxy JSON files "
                         "(default: ../shared/gazetteers from the repo root)")
    ap.add_argument("--out", type=Path, help="write the TOML fragment here (default stdout)")
    ap.add_argument("--splice", type=Path, metavar="PACK",
                    help="replace the lists between the GENERATED markers in PACK")
    ap.add_argument("--quiet", action="store_true", help="no summary on stderr")
    args = ap.parse_args(argv)

    result, lists, stats = build(args.gazetteers)
    for name, terms in result.items():
        for t in terms:
            assert normalise(t) and "*" not in t, (name, t)

    if args.splice:
        splice(args.splice, result)
    if args.out:
        args.out.write_text(render_fragment(result), encoding="utf-8")
    elif not args.splice:
        sys.stdout.write(render_fragment(result))
    if not args.quiet:
        sys.stderr.write(summary(result, lists, stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
