"""The Slack adapter: slack-bolt (AsyncApp) in HTTP mode, translating to and from the core."""
