/**
 * The area under the ROC curve of scores given to positives against scores given to negatives (the Mann–Whitney
 * statistic, ties counted half): the probability that a random positive outscores a random negative. Used to
 * measure how well the world's PRM scores and token confidences separate right from wrong.
 *
 * @example
 * Auroc.of([0.9, 0.8], [0.1, 0.85]) // 0.75
 */
export const of = (positives: ReadonlyArray<number>, negatives: ReadonlyArray<number>): number => {
  let wins = 0
  const sorted = [...negatives].sort((a, b) => a - b)
  for (const positive of positives) {
    let low = 0
    let high = sorted.length
    while (low < high) {
      const middle = (low + high) >> 1
      if ((sorted[middle] ?? 0) < positive) low = middle + 1
      else high = middle
    }
    let ties = 0
    for (let index = low; index < sorted.length && sorted[index] === positive; index++) ties++
    wins += low + ties / 2
  }
  return wins / (positives.length * negatives.length)
}
