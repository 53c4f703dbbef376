public enum PlexusIOPlaceholder {}
