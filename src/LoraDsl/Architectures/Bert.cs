using LoraDsl.Dsl;

namespace LoraDsl.Architectures;

/// <summary>
/// BERT for sequence classification. PEFT's "dense" is ambiguous here (three per layer), so each
/// dense layer has its own DSL name; the string target "dense" still selects all three (suffix rule).
/// </summary>
[LoraArchitecture("bert", ModelTypes = new[] { "bert" }, DepthField = "num_hidden_layers")]
[LoraModule("query", "bert.encoder.layer.{layer}.attention.self.query", ModuleKind.Linear, ModuleRole.Query)]
[LoraModule("key", "bert.encoder.layer.{layer}.attention.self.key", ModuleKind.Linear, ModuleRole.Key)]
[LoraModule("value", "bert.encoder.layer.{layer}.attention.self.value", ModuleKind.Linear, ModuleRole.Value)]
[LoraModule("attention.output.dense", "bert.encoder.layer.{layer}.attention.output.dense", ModuleKind.Linear, ModuleRole.Output)]
[LoraModule("intermediate.dense", "bert.encoder.layer.{layer}.intermediate.dense", ModuleKind.Linear, ModuleRole.FfnUp)]
[LoraModule("output.dense", "bert.encoder.layer.{layer}.output.dense", ModuleKind.Linear, ModuleRole.FfnDown)]
[LoraModule("word_embeddings", "bert.embeddings.word_embeddings", ModuleKind.Embedding, ModuleRole.Embedding)]
[LoraModule("classifier", "classifier", ModuleKind.Linear, ModuleRole.Classifier)]
public static partial class Bert;
