"""Side effects at a time, exactly once (DESIGN.md §5): closing, window start and end, notices.

What may be done at a moment is decided by the clock on every request, never by this package. What
must *happen* once a moment has passed is an effect: a use case schedules it in its own transaction
(:func:`schedule_effect`, keyed (kind, subject id, due time), idempotent), the area registers the
handler for its kind (:func:`register_effect_handler`), and the one scheduler process
(``flask scheduler``) calls :func:`run_due_effects`, which claims each due effect with a conditional
UPDATE and commits the handler's change together with the effect's ``done``. A second scheduler,
a restart after a crash, or a catch-up after downtime runs nothing twice that the database records.
"""
from bidding.scheduling.models import EffectState, ScheduledEffect
from bidding.scheduling.runner import DEFAULT_LEASE, RunReport, retry_delay, run_due_effects
from bidding.scheduling.services import (Effect, EffectHandler, cancel_effect, effect_handlers, effects_of,
                                         register_effect_handler, schedule_effect)

__all__ = ["DEFAULT_LEASE", "Effect", "EffectHandler", "EffectState", "RunReport", "ScheduledEffect",
           "cancel_effect", "effect_handlers", "effects_of", "register_effect_handler", "retry_delay",
           "run_due_effects", "schedule_effect"]
