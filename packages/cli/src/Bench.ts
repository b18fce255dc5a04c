import { dirname } from "node:path"
import { Console, Data, Effect, Option } from "effect"
import { InvalidOptions } from "@stepwise/core"
import { Argument, Command, Flag } from "effect/cli"
import { Provenance, Recipe, Report, ResultRecord, Runner } from "@stepwise/harness"
// For the declarations: the command's type names the registries.
import type { Registries } from "@stepwise/harness"
import * as IntegerFlag from "./IntegerFlag.js"
import * as Paths from "./Paths.js"
import * as Plugins from "./Plugins.js"

/** The cells (strategy, configuration, budget) in which no run spent anything or answered: their budget fits no call. */
const idleCells = (records: ReadonlyArray<ResultRecord.ResultRecord>): ReadonlyArray<string> => {
  const cells = new Map<string, boolean>()
  for (const record of records) {
    const name = `${ResultRecord.variantOf(record)} at budget "${record.budget}"`
    const idle = record.answer === null && record.error === null && record.inputTokens + record.outputTokens + record.verifierCalls === 0
    cells.set(name, (cells.get(name) ?? true) && idle)
  }
  return [...cells].filter(([, idle]) => idle).map(([name]) => name)
}

/** Runs of the benchmark ended in errors (a rerun retries them); the report was written all the same. */
export class RunsErrored extends Data.TaggedError("RunsErrored")<{
  readonly count: number
  readonly total: number
  readonly first: ReadonlyArray<string>
}> {
  override get message(): string {
    return `${this.count} of ${this.total} runs ended in an error (rerun to retry them, or pass --allow-errors): ${this.first.join("; ")}`
  }
}

/** The first errors of a run, one short line each: where, and what. */
export const firstErrors = (errors: ReadonlyArray<ResultRecord.ResultRecord>, count = 3): ReadonlyArray<string> =>
  errors.slice(0, count).map((record) => `${ResultRecord.variantOf(record)} @ ${record.budget} on ${record.problemId}: ${record.error ?? "error"}`)

/**
 * `stepwise bench [recipe]`: runs a benchmark recipe (default: four strategies at three equal budgets on the
 * simulator), appending each finished problem to the results file so a rerun resumes, then prints the table and
 * writes the HTML and Markdown report.
 */
export const command = Command.make(
  "bench",
  {
    recipe: Argument.String("recipe").pipe(
      Argument.withDescription("Recipe JSON file (default: the built-in simulator recipe)"),
      Argument.optional
    ),
    results: Flag.String("results").pipe(Flag.withDescription("Results file, JSON Lines (default results/<recipe>.jsonl)"), Flag.optional),
    report: Flag.String("report").pipe(Flag.withDescription("HTML report file (default reports/<recipe>.html; Markdown beside it)"), Flag.optional),
    fresh: Flag.Boolean("fresh").pipe(
      Flag.withDescription("Start over: once the recipe is valid, move the old results file aside (to <file>.<time>.bak)"),
      Flag.withDefault(false)
    ),
    full: Flag.Boolean("full").pipe(
      Flag.withDescription("Run the paper-sized recipe (500 problems, three seeds, wider sweeps) instead of the default"),
      Flag.withDefault(false)
    ),
    allowErrors: Flag.Boolean("allow-errors").pipe(
      Flag.withDescription("Exit 0 even when some runs ended in an error (they are shown as errors in the report)"),
      Flag.withDefault(false)
    ),
    concurrency: IntegerFlag.optional("concurrency", { command: "bench", description: "Problems run at once (overrides the recipe)", minimum: 1, maximum: 256 }),
    progress: Flag.Literals("progress", ["auto", "bar", "lines", "none"] as const).pipe(
      Flag.withDescription("Progress display"),
      Flag.withDefault("auto" as const)
    ),
    plugins: Plugins.flag
  },
  (flags) =>
    Effect.gen(function* () {
      const concurrency = yield* flags.concurrency
      if (flags.full && Option.isSome(flags.recipe))
        return yield* Effect.fail(new InvalidOptions({ subject: "bench", field: "full", detail: "runs the built-in paper-sized recipe: give either --full or a recipe file" }))
      const file = Option.getOrElse(flags.recipe, () => (flags.full ? Paths.fullRecipe : Paths.defaultRecipe))
      const registries = yield* Plugins.registriesOf(flags.plugins)
      const recipe = yield* Recipe.load(file, registries)
      const results = Option.getOrElse(flags.results, () => Paths.resultsFileOf(recipe.name))
      const report = Option.match(flags.report, {
        onNone: () => Paths.reportFilesOf(recipe.name),
        onSome: (html) => ({ html, markdown: html.replace(/\.html?$/i, "") + ".md" })
      })
      const overwrite = Paths.overwriteError("bench", results, [
        ["report", report.html],
        ["report (its Markdown beside it)", report.markdown]
      ])
      if (overwrite !== undefined) return yield* Effect.fail(overwrite)
      yield* Console.error(`recipe ${recipe.name} (${file}) → ${results}`)
      const outcome = yield* Runner.run(recipe, {
        results,
        registries,
        baseDirectory: dirname(file),
        progress: flags.progress,
        fresh: flags.fresh,
        ...(Option.isSome(concurrency) ? { concurrency: concurrency.value } : {})
      }).pipe(
        // Ctrl-C: every finished problem run is already in the results file; say so, and how to go on.
        Effect.onInterrupt(() =>
          Console.error(
            `interrupted: the finished problem runs are kept in ${results}; run the same command${flags.fresh ? " without --fresh" : ""} again to resume`
          )
        )
      )
      if (outcome.movedAside !== undefined) yield* Console.error(`earlier results moved aside to ${outcome.movedAside}`)
      yield* Console.error(`${outcome.ran} problem runs now, ${outcome.skipped} resumed from ${results}`)
      for (const cell of idleCells(outcome.records))
        yield* Console.error(`warning: ${cell} spent nothing on any problem: its budget has no room for one call (compare the strategy's maxTokens with the budget)`)
      if (outcome.otherRecords > 0)
        yield* Console.error(`${outcome.otherRecords} other records in ${results} are not of this recipe (another strategy, backend or data set): left out of the report`)
      const rendered = yield* Report.render(outcome.records, {
        title: `stepwise benchmark: ${recipe.name}`,
        metadata: { recipe, recipeFile: file, provenance: Provenance.of() }
      })
      yield* Console.log(rendered.terminal)
      yield* Report.write(rendered, report)
      yield* Console.log(`\nreport: ${report.html}\nmarkdown: ${report.markdown}\nresults: ${results}`)
      if (outcome.errors.length > 0 && !flags.allowErrors)
        return yield* Effect.fail(new RunsErrored({ count: outcome.errors.length, total: outcome.total, first: firstErrors(outcome.errors) }))
    })
).pipe(Command.withDescription("Benchmark search strategies at equal budgets and write a report"))
