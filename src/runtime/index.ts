/** The model runtime: whole TF.js Layers models (loadLayersModel) on convkit's ops. */
export { loadLayersModel, type LoadLayersModelOptions } from './load.js';
export { LayersModel, type PredictOptions, type StepTime, type SymbolicShape } from './model.js';
export { planArena, type ArenaPlan, type Lifetime } from './arena.js';
export { SUPPORTED_LAYERS, ACTIVATIONS } from './layers.js';
