/** @stepwise/simulator: The simulated reasoning world of stepwise: seeded problems, a policy and a PRM with known ground truth, and a loopback OpenAI-compatible server. */
export {}
