import { Effect, Layer } from "effect"
import type { InvalidOptions } from "@stepwise/core"
import { LanguageModel, ProcessRewardModel } from "@stepwise/core"

/**
 * The layer of a verifier built over a language model (a judge, a token-logit PRM, ThinkPRM): it takes the
 * `LanguageModel` from context, passes it to `make` as `languageModel`, and serves the result as the
 * `ProcessRewardModel`. Use to give such a verifier's module its `layer`.
 *
 * @example
 * export const layer = ModelVerifier.layer(make)
 * // Judge.layer({ mode: "yes-no" }) needs a LanguageModel and provides the ProcessRewardModel
 */
export const layer =
  <Options extends { readonly languageModel: LanguageModel.Service }>(
    make: (options: Options) => Effect.Effect<ProcessRewardModel.Service, InvalidOptions>
  ) =>
  (
    options: Omit<Options, "languageModel">
  ): Layer.Layer<ProcessRewardModel.ProcessRewardModel, InvalidOptions, LanguageModel.LanguageModel> =>
    Layer.effect(
      ProcessRewardModel.ProcessRewardModel,
      Effect.flatMap(LanguageModel.LanguageModel, (languageModel) => make({ ...options, languageModel } as Options))
    )
