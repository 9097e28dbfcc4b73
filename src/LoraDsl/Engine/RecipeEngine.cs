using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Recipes;
using LoraDsl.Tokenization;
using LoraDsl.Training;

namespace LoraDsl.Engine;

/// <summary>
/// The runtime behind generated recipes: Hugging Face checkpoint → LoRA placement → tokenized data →
/// training with PEFT-format checkpoints. One engine runs one recipe.
/// </summary>
public sealed class RecipeEngine(RecipeEngineOptions? options = null) : IRecipeEngine
{
    /// <summary>Where the final adapter goes, under the run's output directory.</summary>
    public const string AdapterDirectoryName = "adapter";

    /// <summary>Class names in index order, written beside a classification adapter.</summary>
    public const string LabelsFileName = "labels.json";

    readonly RecipeEngineOptions options = options ?? new RecipeEngineOptions();
    string? checkpointDirectory;
    TextTokenizer? tokenizer;
    PreparedDataset? dataset;
    LoraPlacer? placer;

    /// <summary>The checkpoint folder the model came from (after <see cref="LoadModel"/>).</summary>
    public string CheckpointDirectory => checkpointDirectory ?? throw new InvalidOperationException("LoadModel has not run.");

    public TextTokenizer Tokenizer => tokenizer ?? throw new InvalidOperationException("LoadModel has not run.");

    /// <summary>Validation metrics before the first step (when <see cref="RecipeEngineOptions.EvaluateBeforeTraining"/>).</summary>
    public EvaluationMetrics? Before { get; private set; }

    /// <summary>The trainer's result (after <see cref="Train"/>).</summary>
    public TrainingResult? Result { get; private set; }

    /// <summary>The folder of the final adapter (after <see cref="Train"/>).</summary>
    public string? AdapterDirectory { get; private set; }

    /// <summary>
    /// Resolves the checkpoint, loads its tokenizer and the data (a classifier needs the label count
    /// before its head is built), then the model.
    /// </summary>
    public PretrainedModel LoadModel(RecipeDefinition recipe)
    {
        checkpointDirectory = BuiltInModels.Resolve(recipe.Model);
        tokenizer = TokenizerLoader.Load(checkpointDirectory);
        dataset = DatasetBuilder.Build(recipe.Data, tokenizer);
        // Freshly initialised weights (a classifier head, LoRA's A) come from the recipe's seed,
        // so two runs of one recipe give the same losses.
        TorchSharp.torch.manual_seed(recipe.Training.Seed);
        var model = ModelLoader.Load(checkpointDirectory, new ModelLoadOptions
        {
            Device = options.Device,
            ComputeDtype = options.ComputeDtype,
            NumLabels = dataset.Task == DataTask.Classification ? dataset.Labels.Count : null,
        });
        if (!recipe.Architecture.ModelTypes.Contains(model.Config.ModelType))
        {
            model.Dispose();
            throw new RecipeValidationException(
                $"Recipe '{recipe.Name}' is written for {recipe.Architecture.Name} ({string.Join(", ", recipe.Architecture.ModelTypes)}), " +
                $"but '{checkpointDirectory}' holds model_type '{model.Config.ModelType}'.");
        }
        return model;
    }

    public IAdapterPlacer CreatePlacer(PretrainedModel model, LoraOptions lora)
    {
        // PEFT trains a sequence-classification head in full (modules_to_save) unless told otherwise.
        if (model.Task == ModelTask.SequenceClassification && lora.ModulesToSave.Count == 0)
            lora = lora with { ModulesToSave = ["classifier"] };
        return placer = new LoraPlacer(model, lora);
    }

    public IPreparedData PrepareData(RecipeDefinition recipe, PretrainedModel model) =>
        new PreparedRecipeData(dataset ?? throw new InvalidOperationException("LoadModel has not run."));

    public TrainingSummary Train(RecipeDefinition recipe, PretrainedModel model, IPreparedData data)
    {
        var prepared = ((PreparedRecipeData)data).Dataset;
        var injection = (placer ?? throw new InvalidOperationException("CreatePlacer has not run.")).Inject();
        options.Log($"{recipe.Name}: {injection.Modules.Count} LoRA modules on {CheckpointDirectory}");
        options.Log(TrainableParameterReport.Of(model).ToString());

        var output = Path.GetFullPath(recipe.Training.OutputDirectory);
        var store = new PeftAdapterStore(model, injection, CheckpointDirectory);
        var observers = options.Observers ?? [new ConsoleTrainingReporter()];
        var run = new RunDescription
        {
            RecipeName = recipe.Name,
            RecipeSource = options.RecipeSource,
            Data = recipe.Data,
            Lora = injection.Options,
            BaseModelDirectory = CheckpointDirectory,
        };
        using var trainer = new Trainer(model, prepared, recipe.Training with { OutputDirectory = output }, store, observers, run);
        if (options.EvaluateBeforeTraining && options.ResumeFrom is null) Before = trainer.Evaluate(0);
        Result = trainer.Train(options.ResumeFrom, options.Cancellation, options.Overwrite);
        if (Result.Status == TrainingStatus.Diverged)
            throw new TrainingDivergedException(Result.Message, Result.LastCheckpoint);

        AdapterDirectory = Path.Combine(output, AdapterDirectoryName);
        AdapterWriter.Save(AdapterDirectory, model, injection, CheckpointDirectory);
        if (prepared.Labels.Count > 0) LabelFile.Write(Path.Combine(AdapterDirectory, LabelsFileName), prepared.Labels);
        options.Log($"adapter: {AdapterDirectory}");
        var last = Result.Steps.Count > 0 ? Result.Steps[^1].Loss : double.NaN;
        return new TrainingSummary(Result.FinalStep, last, Result.Evaluations.Count > 0 ? Result.Evaluations[^1].Loss : null, output);
    }
}
