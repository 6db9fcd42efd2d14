from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.demo_photos import demo_photo
from accounts.models import ReaderProfile, Specialty, User
from community import demo as community_demo
from payments.services import seed_demo_balance
from readings.demo import seed_reading_history
from shop.demo import seed_shop

SPECIALTIES = [
    "Tarot",
    "Astrology",
    "Love & Relationships",
    "Mediumship",
    "Career & Money",
    "Dream Interpretation",
    "Numerology",
    "Energy Healing",
    "Angel Cards",
    "Past Lives",
]

# name, tagline, specialties, (chat, voice, video), online, target rating, reviews (made by readings.demo), years
READERS = [
    (
        "Luna Marie",
        "Gentle tarot guidance for the heart",
        ["Tarot", "Love & Relationships"],
        ("2.99", "3.99", "4.99"),
        True,
        "4.92",
        64,
        12,
    ),
    (
        "Celeste Moon",
        "Evidential medium, compassionate messages",
        ["Mediumship", "Past Lives"],
        ("4.50", "5.50", "6.50"),
        True,
        "4.88",
        48,
        18,
    ),
    (
        "Orion Vale",
        "Birth charts, transits and timing",
        ["Astrology", "Career & Money"],
        ("1.99", "2.99", None),
        True,
        "4.75",
        27,
        7,
    ),
    (
        "Seraphina Rose",
        "Angel messages and soul path clarity",
        ["Angel Cards", "Energy Healing"],
        ("3.25", "3.25", "4.25"),
        False,
        "4.97",
        81,
        21,
    ),
    (
        "Mystic Jade",
        "Straight answers, no sugar-coating",
        ["Tarot", "Career & Money"],
        ("1.50", "2.50", None),
        True,
        "4.61",
        15,
        4,
    ),
    (
        "Aurora Sky",
        "Dreams, symbols and what they mean",
        ["Dream Interpretation", "Numerology"],
        ("0.99", None, None),
        False,
        "4.70",
        8,
        3,
    ),
    (
        "Sage Willow",
        "Reiki-trained empath and clairvoyant",
        ["Energy Healing", "Love & Relationships"],
        ("2.25", "3.25", "3.75"),
        False,
        "4.83",
        36,
        10,
    ),
    (
        "Raven Noir",
        "Shadow work and past-life regression",
        ["Past Lives", "Tarot"],
        ("5.99", "6.99", "8.99"),
        True,
        "4.94",
        70,
        25,
    ),
    (
        "Stella Nova",
        "Numbers that map your life's purpose",
        ["Numerology", "Astrology"],
        ("1.75", "2.75", None),
        False,
        "4.52",
        6,
        2,
    ),
    (
        "Ivy Ember",
        "Twin flames, soulmates and reconnection",
        ["Love & Relationships", "Angel Cards"],
        ("3.50", "4.50", "5.50"),
        False,
        "4.79",
        25,
        8,
    ),
    (
        "Phoenix Gray",
        "Career crossroads and money flow",
        ["Career & Money", "Tarot"],
        ("2.50", "3.00", "3.50"),
        True,
        "4.66",
        19,
        6,
    ),
    (
        "Marisol Dawn",
        "Spirit guides and ancestral messages",
        ["Mediumship", "Angel Cards"],
        (None, "4.99", "5.99"),
        False,
        "4.90",
        42,
        15,
    ),
]

BIO = (
    "{name} has been reading for {years} years. Sessions are warm, honest and focused on what you can do next. "
    "Bring a question — or simply an open heart — and let's see what the cards and spirit have to say."
)

DEMO_PASSWORD = "soulseer-demo-2026"
DEMO_BALANCE = Decimal("50.00")
DEMO_CLIENT = "client@soulseer.demo"
DEMO_READER = "luna@soulseer.demo"
DEMO_ADMIN = "admin@soulseer.demo"


def _user(email: str, *, first_name: str = "", admin: bool = False) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        make = User.objects.create_superuser if admin else User.objects.create_user
        user = make(email=email, password=DEMO_PASSWORD, first_name=first_name)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user, created


class Command(BaseCommand):
    help = "Fill the database with demo readers and demo accounts. Running it again adds nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off: only for a staging site that should show the demo (published logins).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to seed demo data with DEBUG off: the demo accounts have a published password. "
                "This looks like production. For a staging site that should show the demo, "
                "run `manage.py seed_demo --allow-production`."
            )
        specialties = {name: Specialty.objects.get_or_create(name=name)[0] for name in SPECIALTIES}
        made = 0
        for index, (name, tagline, specs, rates, online, _rating, _reviews, years) in enumerate(READERS):
            email = DEMO_READER if index == 0 else f"{name.split()[0].lower()}@readers.soulseer.demo"
            user, created = _user(email, first_name=name.split()[0])
            if not created and hasattr(user, "reader_profile"):
                continue
            chat, voice, video = (Decimal(r) if r else None for r in rates)
            profile = services.make_reader(
                user,
                display_name=name,
                tagline=tagline,
                bio=BIO.format(name=name.split()[0], years=years),
                chat_rate=chat,
                voice_rate=voice,
                video_rate=video,
                availability="online" if online else "offline",
                years_experience=years,
            )
            profile.specialties.set(specialties[s] for s in specs)
            photo = demo_photo(name)
            profile.photo.save(photo.name, photo, save=True)
            made += 1
        seed_reading_history({r[0]: (Decimal(r[5]), r[6]) for r in READERS})  # reviews behind every rating
        demo_client, _ = _user(DEMO_CLIENT, first_name="Demo")
        seed_demo_balance(demo_client, DEMO_BALANCE)
        _user(DEMO_ADMIN, admin=True)
        community_demo.seed()  # forum threads and a demo conversation (community/demo.py)
        products = seed_shop()  # the shop's categories and products (shop/demo.py)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({made} new readers, {ReaderProfile.objects.count()} in all; "
                f"{products} new shop products)."
            )
        )
        self.stdout.write(f"  client: {DEMO_CLIENT} / {DEMO_PASSWORD}  (sandbox balance ${DEMO_BALANCE})")
        self.stdout.write(f"  reader: {DEMO_READER} / {DEMO_PASSWORD}")
        self.stdout.write(f"  admin:  {DEMO_ADMIN} / {DEMO_PASSWORD}  (Django admin at /django-admin/)")
