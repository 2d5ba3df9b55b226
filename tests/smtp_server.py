from mailplug.testing.smtp import *  # noqa: F403 - moved to the shipped test kit; old imports work
from mailplug.testing.smtp import __all__  # noqa: F401 - the same public names
