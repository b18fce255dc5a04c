/**
 * One generated token with its log-probability and, when asked for, the most likely alternatives.
 * Use to read a verifier's P("yes") or a PRM's P("+").
 */
export interface TokenLogprob {
  readonly token: string
  readonly logprob: number
  readonly top: ReadonlyArray<{ readonly token: string; readonly logprob: number }>
}

/**
 * The probability mass of a set of token spellings among the top alternatives of one position,
 * summing every spelling that matches after trimming leading spaces and ignoring case.
 * Use for P(yes) where a server may answer "Yes", " yes" or "YES".
 */
export const massOf = (position: TokenLogprob, word: string): number => {
  const wanted = word.trim().toLowerCase()
  let total = 0
  const seen = new Set<string>()
  const candidates = [...position.top, { token: position.token, logprob: position.logprob }]
  for (const candidate of candidates) {
    if (seen.has(candidate.token)) continue
    seen.add(candidate.token)
    if (candidate.token.trim().toLowerCase() === wanted) total += Math.exp(candidate.logprob)
  }
  return total
}
