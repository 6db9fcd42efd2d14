"""Base classes for admin pages of rows that only the services write."""

from django.contrib import admin


class WrittenByServicesAdmin(admin.ModelAdmin):
    """Rows the services create and history points at: staff read them and run the actions, but never
    add or delete one here."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(WrittenByServicesAdmin):
    """... nor edit one (the ledger, audit trails)."""

    def has_change_permission(self, request, obj=None):
        return False
