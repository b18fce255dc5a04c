/** @stepwise/verifiers: Verifiers of stepwise: aggregation, prefix cache, ThinkPRM-style generative verifier, judges, served PRMs, exact checkers, ensembles. */
export {}
