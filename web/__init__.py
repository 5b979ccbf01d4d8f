"""Flask blueprints of Passerelle, one per user space."""
