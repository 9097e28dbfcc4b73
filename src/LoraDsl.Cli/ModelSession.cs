using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Engine;
using LoraDsl.Models;
using LoraDsl.Recipes;
using LoraDsl.Tokenization;

namespace LoraDsl.Cli;

/// <summary>A base model (and optionally named PEFT adapters on it) loaded for eval, predict, generate, merge, inspect and logits.</summary>
sealed class ModelSession : IDisposable
{
    readonly Exception? tokenizerProblem;

    ModelSession(string checkpointDirectory, PretrainedModel model, TextTokenizer? tokenizer, Exception? tokenizerProblem,
        IReadOnlyList<AdapterArgument> adapterFolders, IReadOnlyList<string>? labels)
    {
        this.tokenizerProblem = tokenizerProblem;
        CheckpointDirectory = checkpointDirectory;
        Model = model;
        Tokenizer = tokenizer;
        AdapterFolders = adapterFolders;
        Labels = labels;
    }

    public string CheckpointDirectory { get; }
    public PretrainedModel Model { get; }
    public TextTokenizer? Tokenizer { get; }

    /// <summary>The --adapter folders, under their names, in the order given.</summary>
    public IReadOnlyList<AdapterArgument> AdapterFolders { get; }

    public ModelAdapters Adapters => ModelAdapters.Of(Model);
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>The tokenizer, or the loader's own error: missing files (<see cref="TokenizerNotFoundException"/>) or unreadable ones and why (<see cref="TokenizerFormatException"/>).</summary>
    public TextTokenizer RequireTokenizer() =>
        Tokenizer ?? throw tokenizerProblem ?? new TokenizerNotFoundException($"No tokenizer files in '{CheckpointDirectory}'.");

    /// <summary>
    /// <paramref name="model"/> is a folder or a built-in name; without it the first adapter's
    /// base_model_name_or_path is used (LoraDsl writes the absolute checkpoint folder there).
    /// <paramref name="adapters"/> are --adapter values (DIR or NAME=DIR); <paramref name="use"/> is --use.
    /// </summary>
    /// <param name="dtype">Compute dtype of the model (and of its 4-bit layers, for a 4-bit folder).</param>
    /// <param name="quantization">Quantise to 4 bits while loading (a dense folder); null loads as stored.</param>
    public static ModelSession Open(string? model, IReadOnlyList<string>? adapters, string? use, string device,
        TorchSharp.torch.ScalarType dtype = TorchSharp.torch.ScalarType.Float32, Quantization.QuantizationOptions? quantization = null)
    {
        var folders = AdapterArgument.ParseAll(adapters);
        var active = AdapterArgument.ParseUse(use);
        if (model is null && folders.Count == 0) throw new ArgumentException("Give --model (a Hugging Face folder or a built-in name) or --adapter.");
        if (folders.Count == 0 && active is { Count: > 0 }) throw new ArgumentException($"--use {use}: no --adapter was given.");
        var first = folders.FirstOrDefault();
        var labels = folders.Select(f => LabelFile.TryRead(f.Directory)).FirstOrDefault(l => l is not null);
        var source = model ?? AdapterConfig.Read(Path.Combine(first!.Directory, AdapterFiles.ConfigFile)).BaseModelNameOrPath
            ?? throw new ArgumentException($"Adapter '{first.Directory}' does not name its base model (base_model_name_or_path); give --model.");
        if (model is null && !Directory.Exists(source) && !BuiltInModels.IsBuiltIn(source))
            throw new DirectoryNotFoundException($"Adapter '{first!.Directory}' names its base model '{source}' (base_model_name_or_path), " +
                (File.Exists(source) ? "which is a file, not a model folder" : "a folder that does not exist here") + "; give --model.");
        var directory = BuiltInModels.Resolve(Directory.Exists(source) ? ModelSource.FromDirectory(source) : ModelSource.BuiltIn(source));
        var loaded = ModelLoader.Load(directory, new ModelLoadOptions { Device = device, NumLabels = labels?.Count, ComputeDtype = dtype, Quantization = quantization });
        try
        {
            var adaptersOfModel = ModelAdapters.Of(loaded);
            foreach (var folder in folders)
                if (adaptersOfModel.Load(folder.Name, folder.Directory).UnusedTensors is { Count: > 0 } unused)
                    Console.Error.WriteLine($"warning: adapter '{folder.Directory}': {unused.Count} tensors of modules its {AdapterFiles.ConfigFile} does not select were not loaded " +
                        $"(as PEFT): {string.Join(", ", unused.Take(6))}{(unused.Count > 6 ? ", …" : "")}");
            // The disable scope lives as long as the model; nothing re-enables it.
            if (active is null) adaptersOfModel.Disable();
            else if (active.Count > 0) adaptersOfModel.SetActive([.. active]);
            TextTokenizer? tokenizer = null;
            Exception? problem = null;
            try
            {
                tokenizer = TokenizerLoader.Load(directory);
            }
            catch (Exception e) when (e is TokenizerNotFoundException or TokenizerFormatException)
            {
                // logits and merge work on ids and weights alone; the others report this when they need a tokenizer.
                problem = e;
            }
            loaded.eval();
            return new ModelSession(directory, loaded, tokenizer, problem, folders, labels);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    public void Dispose() => Model.Dispose();
}
