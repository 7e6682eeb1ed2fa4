"""`infochat simulate`: a synthetic community year played through the real core (issue 12).

- `scenario`: the parameters (defaults, a TOML file, `--set` overrides).
- `population`: a seeded `Plan` drawn from a scenario: who volunteers, who asks, when.
- `driver`: plays a plan through `Infochat.dispatch` and its due jobs on a temporary SQLite
  file, with an injected clock, under one ranking strategy.
- `strategies`: infochat's matching and the peers' simple rules, as `bot.domain.ranking`.
- `run`: every strategy on the same plan, then the measures (`bot.storage.measures`).
- `report`: the table, the Markdown report and its charts.
"""
