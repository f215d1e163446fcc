"""The ground layer: project-wide helpers every app may import (enqueue a task after the
commit, parse a hand-read parameter, build an index concurrently). It imports no app of
the project and holds no models."""
