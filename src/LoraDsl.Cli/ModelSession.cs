using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Engine;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Recipes;
using LoraDsl.Tokenization;

namespace LoraDsl.Cli;

/// <summary>A base model (and optionally a PEFT adapter on it) loaded for eval, predict, generate, merge, inspect and logits.</summary>
sealed class ModelSession : IDisposable
{
    readonly TokenizerNotFoundException? tokenizerProblem;

    ModelSession(string checkpointDirectory, PretrainedModel model, TextTokenizer? tokenizer, TokenizerNotFoundException? tokenizerProblem, LoraInjection? adapter, IReadOnlyList<string>? labels)
    {
        this.tokenizerProblem = tokenizerProblem;
        CheckpointDirectory = checkpointDirectory;
        Model = model;
        Tokenizer = tokenizer;
        Adapter = adapter;
        Labels = labels;
    }

    public string CheckpointDirectory { get; }
    public PretrainedModel Model { get; }
    public TextTokenizer? Tokenizer { get; }
    public LoraInjection? Adapter { get; }
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>The tokenizer, or the loader's own error (missing files, or unreadable ones and why).</summary>
    public TextTokenizer RequireTokenizer() =>
        Tokenizer ?? throw tokenizerProblem ?? new TokenizerNotFoundException($"No tokenizer files in '{CheckpointDirectory}'.");

    /// <summary>
    /// <paramref name="model"/> is a folder or a built-in name; without it the adapter's
    /// base_model_name_or_path is used (LoraDsl writes the absolute checkpoint folder there).
    /// </summary>
    public static ModelSession Open(string? model, string? adapter, string device)
    {
        if (model is null && adapter is null) throw new ArgumentException("Give --model (a Hugging Face folder or a built-in name) or --adapter.");
        var labels = adapter is null ? null : LabelFile.TryRead(adapter);
        var source = model ?? AdapterConfig.Read(Path.Combine(adapter!, AdapterFiles.ConfigFile)).BaseModelNameOrPath
            ?? throw new ArgumentException($"Adapter '{adapter}' does not name its base model (base_model_name_or_path); give --model.");
        var directory = BuiltInModels.Resolve(Directory.Exists(source) ? ModelSource.FromDirectory(source) : ModelSource.BuiltIn(source));
        var loaded = ModelLoader.Load(directory, new ModelLoadOptions { Device = device, NumLabels = labels?.Count });
        try
        {
            var injection = adapter is null ? null : AdapterReader.Load(adapter, loaded);
            TextTokenizer? tokenizer = null;
            TokenizerNotFoundException? problem = null;
            try
            {
                tokenizer = TokenizerLoader.Load(directory);
            }
            catch (TokenizerNotFoundException e)
            {
                // logits and merge work on ids and weights alone; the others report this when they need a tokenizer.
                problem = e;
            }
            loaded.eval();
            return new ModelSession(directory, loaded, tokenizer, problem, injection, labels);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    public void Dispose() => Model.Dispose();
}
