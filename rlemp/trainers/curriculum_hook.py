"""Connects a recipe's ``curriculum:`` block to the trainers (persona difficulties -> a curriculum sampler)."""

from __future__ import annotations


def curriculum_factory(args, training_args):
    """A function ``(personas, simulator) -> curriculum`` for the recipe's block, or None without one."""
    if not args.curriculum or args.curriculum.get("schedule", "none") == "none":
        return None
    raise NotImplementedError("curriculum integration lands with the curriculum module")
