/**
 * @stepwise/search: the search strategies, their shared machinery and combinators.
 */
export * as Strategy from "./Strategy.js"
