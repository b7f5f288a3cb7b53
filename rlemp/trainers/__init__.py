"""The trainers of a run (:mod:`rlemp.train`): one module per algorithm (``grpo``, ``ppo``, ``dpo``), each with
``make_trainer(parts, args, training_args, model_args)``; what they share (``common``: the run's parts,
evaluation, the saved adapter; ``ledger``: booking a rollout); checkpoints and signals (``reliability``); the
console line (``progress``); the curriculum's wiring (``curriculum_hook``)."""
