/**
 * Tokenizers: Hugging Face `tokenizer.json` compatible tokenization and the embedded BERT tokenizer.
 *
 * The folder's public surface: modules outside it import from here (tests excepted).
 *
 * @module
 */
export { embeddedBertTokenizerJson, restrictVocabulary } from "./embedded_tokenizer.ts";
export { HfTokenizer, type TruncationStrategy } from "./tokenizer.ts";
