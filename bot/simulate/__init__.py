"""`infochat simulate`: a synthetic community year played through the real core .

- `scenario` (+ `parameters`): the parameters (defaults, a TOML file, `--set` overrides).
- `population` (+ `wording`): a seeded `Plan` drawn from a scenario: who volunteers, who
  asks, when, and what they write.
- `driver` (+ `watch`, `sim_database`): plays a plan through `Infochat.dispatch` and its due
  jobs on a throwaway SQLite file, with an injected clock, under one ranking strategy; `watch`
  records what members receive and counts the invariants.
- `strategies`: infochat's matching and the peers' simple rules, as `bot.domain.ranking`.
- `run`: every strategy on the same plan, each in a process of its own.
- `report` (+ `report_charts`): the table, the Markdown report and its charts.
"""
