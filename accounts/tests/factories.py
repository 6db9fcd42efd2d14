from decimal import Decimal

import factory

from accounts.models import ReaderProfile, Specialty, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Specialty {n}")


class ReaderProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReaderProfile

    user = factory.SubFactory(UserFactory, role=User.Role.READER)
    display_name = factory.Sequence(lambda n: f"Reader {n}")
    slug = factory.Sequence(lambda n: f"reader-{n}")
    chat_rate = Decimal("2.00")
    voice_rate = Decimal("3.00")
    video_rate = Decimal("4.00")
    availability = ReaderProfile.Availability.ONLINE
