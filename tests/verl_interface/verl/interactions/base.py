"""The interface of ``verl.interactions.base.BaseInteraction`` as verl 0.7.0 ships it: the same methods, signatures
and default behaviour, so that the adapter's tests mean the same here as against verl itself (which they are run
against when verl 0.5-0.7 is installed). verl's agent loop awaits ``start_interaction(request_id, **kwargs)``,
then ``generate_response(request_id, messages, **kwargs)`` after each assistant turn."""

from typing import Any, Optional
from uuid import uuid4


class BaseInteraction:
    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.name: str = config.get("name", "interaction_agent")

    async def start_interaction(self, instance_id: Optional[str] = None, **kwargs) -> str:
        """The instance id: the one given, else a new uuid4."""
        return instance_id if instance_id is not None else str(uuid4())

    async def generate_response(
        self, instance_id: str, messages: list[dict[str, Any]], **kwargs
    ) -> tuple[bool, str, float, dict[str, Any]]:
        """(should_terminate_sequence, response_content, current_turn_score, additional_data)."""
        return False, "Your current result seems acceptable.", 0.8, {}

    async def calculate_score(self) -> float:
        return 0.0

    async def finalize_interaction(self) -> None:
        return None
