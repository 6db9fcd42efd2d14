from django.contrib import admin

from ops.models import ProcessHeartbeat


@admin.register(ProcessHeartbeat)
class ProcessHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "beat_at", "hostname", "pid", "detail"]
    readonly_fields = ["name", "beat_at", "hostname", "pid", "detail"]

    def has_add_permission(self, request):
        return False
