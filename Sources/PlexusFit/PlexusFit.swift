// Optimisers over a box of parameters (ask/tell), independent of any engine.
