"""What runs and how it is called: the spec, model zoos, inputs, preparation, the measurement
context, and the backends that turn a prepared model into the call the engine times."""
