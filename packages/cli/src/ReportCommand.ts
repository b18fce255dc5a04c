import { existsSync } from "node:fs"
import { basename } from "node:path"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Report, ResultsFile } from "@stepwise/harness"
import * as Paths from "./Paths.js"

/** `stepwise report <results>`: re-renders the table and the HTML/Markdown report from a results file. */
export const command = Command.make(
  "report",
  {
    results: Argument.String("results").pipe(Argument.withDescription("Results file (JSON Lines) written by `stepwise bench`")),
    html: Flag.String("html").pipe(Flag.withDescription("HTML report file (default: the results file with .html)"), Flag.optional),
    markdown: Flag.String("markdown").pipe(Flag.withDescription("Markdown report file (default: the results file with .md)"), Flag.optional),
    title: Flag.String("title").pipe(Flag.withDescription("Report title (default: stepwise benchmark: <results file name>)"), Flag.optional)
  },
  (flags) =>
    Effect.gen(function* () {
      if (!existsSync(flags.results))
        return yield* Effect.fail(
          new ResultsFile.ResultsFileError({ file: flags.results, line: 0, detail: "does not exist: check the path, or run `stepwise bench` to write it" })
        )
      const contents = yield* ResultsFile.read(flags.results)
      if (contents.tornTail) yield* Console.error(`${flags.results}: left out a torn last line (a killed run's write)`)
      if (contents.records.length === 0)
        return yield* Effect.fail(new ResultsFile.ResultsFileError({ file: flags.results, line: 0, detail: "holds no results: run `stepwise bench` first" }))
      const base = flags.results.replace(/\.jsonl?$/i, "")
      const files = {
        html: Option.getOrElse(flags.html, () => `${base}.html`),
        markdown: Option.getOrElse(flags.markdown, () => `${base}.md`)
      }
      const overwrite = Paths.overwriteError("report", flags.results, [
        ["html", files.html],
        ["markdown", files.markdown]
      ])
      if (overwrite !== undefined) return yield* Effect.fail(overwrite)
      // The results file is named after its recipe (results/<recipe>.jsonl), as bench titles its report.
      const title = Option.getOrElse(flags.title, () => `stepwise benchmark: ${basename(flags.results).replace(/\.jsonl?$/i, "")}`)
      const rendered = yield* Report.render(contents.records, { title })
      yield* Console.log(rendered.terminal)
      yield* Report.write(rendered, files)
      yield* Console.log(`\nreport: ${files.html}\nmarkdown: ${files.markdown}`)
    })
).pipe(Command.withDescription("Re-render the report of a results file"))
