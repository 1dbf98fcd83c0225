/**
 * The one place the page gets explainConv2d and its types from: convkit's public API. Every view reads
 * a Conv2dExplanation built by convkit itself; none of them derives shapes or padding on its own.
 */
export { explainConv2d } from 'convkit';
export type { Conv2dExplanation, ExplainOptions, OutputBreakdown, ProductTerm, CentreMap } from 'convkit';
