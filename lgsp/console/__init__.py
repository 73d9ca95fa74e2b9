"""The operator console: a node's processes, dead letters, routes, links, traces and dossiers
in a browser, behind the admin API's tokens and roles (``docs/console.md``)."""
