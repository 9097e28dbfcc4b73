using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Emitting;

/// <summary>Writes <c>{Recipe}.Recipe.g.cs</c>: the recipe's Build/Definition and a readable Run.</summary>
public static class RecipeEmitter
{
    private const string Recipes = "global::LoraDsl.Recipes.";
    private const string Training = "global::LoraDsl.Training.";
    // The run steps only generated code calls (LoraDsl.Generated.RecipeRunSteps): their helpers stay internal.
    private const string Steps = "global::LoraDsl.Generated.RecipeRunSteps.";
    private const string Overrides = "global::System.Collections.Generic.IEnumerable<global::System.Collections.Generic.KeyValuePair<string, string>>";

    /// <summary>This generator's version, written into each recipe so run.json can record it.</summary>
    public static readonly string GeneratorVersion =
        typeof(RecipeEmitter).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? typeof(RecipeEmitter).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static string HintName(RecipeModel recipe) =>
        (recipe.Namespace is null ? "" : recipe.Namespace + ".") + recipe.ClassName + ".Recipe.g.cs";

    /// <summary>Whether code can be generated: a partial top-level class naming a real architecture.</summary>
    public static bool CanEmit(RecipeModel recipe) => recipe.IsPartial && !recipe.IsNested && recipe.ArchitectureIsDeclared && recipe.ArchitectureType is not null;

    public static string Emit(RecipeModel recipe)
    {
        var architecture = recipe.ArchitectureType!;
        var writer = new SourceWriter().Header();
        if (recipe.Namespace is not null) writer.Open("namespace " + recipe.Namespace);
        writer.Open($"partial class {recipe.ClassName} : {Recipes}IRecipe");

        writer.Line($"/// <summary>The name the registry and the CLI know this recipe by.</summary>");
        writer.Line($"public static string RecipeName => {Literals.String(recipe.Name)};");
        writer.Line();
        writer.Line("/// <summary>The recipe as written, without overrides.</summary>");
        writer.Line($"public static {Recipes}RecipeDefinition Definition => Build();");
        writer.Line();
        EmitBuild(writer, recipe, architecture);
        writer.Line();
        EmitRun(writer, recipe, architecture);

        writer.Close();
        if (recipe.Namespace is not null) writer.Close();
        return writer.ToString();
    }

    private static void EmitBuild(SourceWriter writer, RecipeModel recipe, string architecture)
    {
        writer.Line("/// <summary>Attributes first, then Configure, then <c>--set</c> overrides; validated.</summary>");
        writer.Line($"public static {Recipes}RecipeDefinition Build({Overrides}? overrides = null)");
        writer.Open();
        writer.Line($"var builder = new {Recipes}RecipeBuilder(RecipeName, {architecture}.Descriptor)");
        writer.Open();
        if (recipe.SourceSha256 is not null) writer.Line($"SourceSha256 = {Literals.String(recipe.SourceSha256)},");
        writer.Line($"GeneratorVersion = {Literals.String(GeneratorVersion)},");
        writer.Close("};");
        if (recipe.KnownDepth is { } depth) writer.Line($"builder.KnownDepth = {depth.ToString(CultureInfo.InvariantCulture)};");
        if (recipe.ModelDirectory is not null) writer.Line($"builder.Model(model => model.FromDirectory({Literals.String(recipe.ModelDirectory)}));");
        if (recipe.BuiltInModel is not null) writer.Line($"builder.Model(model => model.BuiltIn({Literals.String(recipe.BuiltInModel)}));");

        var calls = LoraCalls(recipe).ToList();
        if (calls.Count > 0)
        {
            writer.Line("builder.Lora(lora => lora");
            for (var i = 0; i < calls.Count; i++) writer.Line("    ." + calls[i] + (i == calls.Count - 1 ? ");" : ""));
        }
        foreach (var setting in recipe.Settings)
            if (setting.KeyLocation is not null && setting.Text is not null)
                writer.Line($"builder.Set({Literals.String(setting.Key)}, {Literals.String(setting.Text)});");
        if (recipe.HasConfigure) writer.Line($"{KnownNames.ConfigureMethod}(builder);");
        writer.Line("var definition = builder.Build();");
        writer.Line("return overrides is null ? definition : definition.WithOverrides(overrides);");
        writer.Close();
    }

    private static IEnumerable<string> LoraCalls(RecipeModel recipe)
    {
        foreach (var option in recipe.Options)
        {
            switch (option.Option)
            {
                case "Rank": yield return $"Rank({((int)option.Value).ToString(CultureInfo.InvariantCulture)})"; break;
                case "Alpha": yield return $"Alpha({Literals.Number(option.Value)})"; break;
                case "Dropout": yield return $"Dropout({Literals.Number(option.Value)})"; break;
                case "UseRsLora": yield return $"RsLora({(option.Value != 0 ? "true" : "false")})"; break;
                case "UseDora": yield return $"Dora({(option.Value != 0 ? "true" : "false")})"; break;
            }
        }
        foreach (var target in recipe.Targets)
        {
            var argument = target.Kind switch
            {
                TargetKind.Role => "global::LoraDsl.Dsl.ModuleRole." + target.Value,
                TargetKind.Preset => "global::LoraDsl.Dsl.Preset." + target.Value,
                _ => Literals.String(target.Value),
            };
            var method = target.Kind == TargetKind.Preset ? "Preset" : "Target";
            yield return target.Layers is null
                ? $"{method}({argument})"
                : $"{method}Layers({Literals.String(target.Layers)}, {argument})";
        }
    }

    private static void EmitRun(SourceWriter writer, RecipeModel recipe, string architecture)
    {
        var shape = RecipeShape.Of(recipe);
        writer.Line("/// <summary>");
        writer.Line("/// The recipe's training, top to bottom: checkpoint, tokenizer and data; the adapters; optimizer and schedule;");
        writer.Line("/// the loop; the final adapter. Every value the recipe states is read from <c>recipe</c>, so <c>--set</c> overrides apply.");
        writer.Line("/// </summary>");
        writer.Line($"public static {Recipes}RecipeReport Run({Recipes}RecipeRunContext context)");
        writer.Open();
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(context);");
        writer.Line("var recipe = Build(context.Overrides);");
        writer.Line("var training = recipe.Training;");
        if (!shape.Accumulates)
            writer.Line($"{Steps}RequireShape(recipe, \"training.grad_accum\", training.GradientAccumulationSteps == 1, \"no gradient accumulation\");");
        if (!shape.Evaluates)
            writer.Line($"{Steps}RequireShape(recipe, \"data.validation_fraction\", recipe.Data.ValidationFraction == 0, \"no validation split\");");
        writer.Line(shape.Neftune
            ? $"{Steps}RequireShape(recipe, \"training.neftune_alpha\", training.NeftuneAlpha is not null, \"NEFTune\");"
            : $"{Steps}RequireShape(recipe, \"training.neftune_alpha\", training.NeftuneAlpha is null, \"no NEFTune\");");
        writer.Line(shape.LoraPlus
            ? $"{Steps}RequireShape(recipe, \"training.loraplus_ratio\", training.LoraPlusRatio is not null, \"LoRA+\");"
            : $"{Steps}RequireShape(recipe, \"training.loraplus_ratio\", training.LoraPlusRatio is null, \"no LoRA+\");");
        writer.Line(shape.AdaLora
            ? $"{Steps}RequireShape(recipe, \"lora.use_adalora\", recipe.UseAdaLora, \"AdaLoRA\");"
            : $"{Steps}RequireShape(recipe, \"lora.use_adalora\", !recipe.UseAdaLora, \"plain LoRA\");");
        if (shape.AdaLora)
            writer.Line($"{Steps}RequireShape(recipe, \"start.adapters\", recipe.Start is null, \"fresh AdaLoRA adapters\");");
        writer.Line("// The processes training together (one without an MPI launcher); process 0 alone writes the run folder.");
        writer.Line("var processes = context.Processes;");
        writer.Line("processes.Require(training, RecipeName);");
        writer.Line($"var output = {Steps}PrepareRunFolder(training.OutputDirectory, context.ResumeFrom, context.Overwrite, processes);");
        writer.Line();

        writer.Line("// Checkpoint, tokenizer and the examples tokenized for it.");
        writer.Line($"var checkpoint = {Steps}ResolveCheckpoint(recipe.Model);");
        writer.Line("var tokenizer = global::LoraDsl.Tokenization.TokenizerLoader.Load(checkpoint);");
        writer.Line("var data = global::LoraDsl.Data.DatasetBuilder.Build(recipe.Data, tokenizer);");
        writer.Line("foreach (var warning in data.Warnings) context.Log($\"warning: {warning}\");");
        writer.Line($"using var model = {Steps}LoadModel(recipe, checkpoint, data, context.Device);");
        writer.Line($"{Steps}CheckEndOfTurnEmbedding(model, data, context.Log);");
        writer.Line("var order = new global::LoraDsl.Data.EpochBatchOrder(data.Train.Count, training.BatchSize, training.Seed);");
        writer.Line();

        writer.Line($"// Adapters: the modules the recipe's targets select in this checkpoint, then LoRA on each of them.");
        writer.Line($"var placed = global::LoraDsl.Lora.TargetPlacement.Resolve(model, {architecture}.Descriptor, recipe.Targets);");
        writer.Line("// PEFT's selection options (lora.target_regex, exclude_modules, layers_to_transform) add to and narrow what the targets placed.");
        writer.Line("var targets = recipe.Lora.Selection.Apply(model, placed);");
        if (shape.AdaLora)
        {
            writer.Line("// AdaLoRA: SVD-form adapters at init_r; the allocator prunes them to target_r on average over the planned steps.");
            writer.Line("var adalora = recipe.AdaLora with { TotalStep = recipe.AdaLora.TotalStep ?? " + Training + "TrainingPlan.TotalStepsFor(training, order, processes.Size) };");
            writer.Line("var adapters = global::LoraDsl.AdaLora.AdaLoraInjector.Inject(model, recipe.Lora, adalora, targets);");
            writer.Line("using var allocator = new global::LoraDsl.AdaLora.AdaLoraAllocator(adapters, adalora);");
            writer.Line("var store = new global::LoraDsl.Adapters.AdaLoraAdapterStore(model, adapters, adalora, allocator, checkpoint);");
        }
        else
        {
            writer.Line("var adapters = global::LoraDsl.Lora.LoraInjector.Inject(model, recipe.Lora, targets);");
            writer.Line("var store = new global::LoraDsl.Adapters.PeftAdapterStore(model, adapters, checkpoint);");
            writer.Line(shape.Starts
                ? "// The start: the saved adapters r.StartFrom names (combined first when several), loaded into these adapters."
                : "// The start, when --set start.adapters=DIR names one: that saved adapter, loaded into these adapters.");
            writer.Line($"if (context.ResumeFrom is null) {Steps}ApplyStart(recipe, model, adapters, store, checkpoint, output, data.Labels, context.Log);");
        }
        writer.Line("context.Log($\"{RecipeName}: {adapters.Modules.Count} LoRA modules on {checkpoint}\");");
        writer.Line("context.Log(global::LoraDsl.Lora.TrainableParameterReport.Of(model).ToString());");
        writer.Line();

        writer.Line("// Optimizer, batch order and learning-rate schedule; a resumed run restores them from its checkpoint.");
        writer.Line($"var parameters = {Training}TrainableParameters.Of(model);");
        writer.Line("var device = parameters[0].device;");
        if (shape.LoraPlus)
        {
            writer.Line("// LoRA+: B's learning rate is training.LoraPlusRatio times A's (PEFT's parameter groups).");
            writer.Line("var groups = global::LoraDsl.Optimization.OptimizerParameterGroups.LoraPlus(model,");
            writer.Line("    new global::LoraDsl.Optimization.LoraPlusOptions { Ratio = training.LoraPlusRatio!.Value, EmbeddingLearningRate = training.LoraPlusEmbeddingLearningRate },");
            writer.Line("    training.LearningRate, training.WeightDecay);");
            writer.Line("using var optimizer = global::LoraDsl.Optimization.OptimizerParameterGroups.CreateAdamW(groups, training);");
        }
        else
        {
            writer.Line($"using var optimizer = {Training}AdamWOptimizer.Create(model, training);");
        }
        writer.Line($"var plan = {Training}TrainingPlan.For(training, order, model, data, output, processes.Size);");
        writer.Line($"var schedule = {Training}LearningRateSchedule.From(training, plan.TotalSteps);");
        writer.Line("var state = context.ResumeFrom is { } resumeFrom");
        writer.Line($"    ? {Training}TrainingCheckpoint.Resume(resumeFrom, optimizer, store, training.Seed)");
        writer.Line($"    : {Training}TrainerState.Start(training.Seed, plan.TotalSteps);");
        writer.Line("if (context.ResumeFrom is null) global::TorchSharp.torch.manual_seed(training.Seed);");
        writer.Line($"if (processes.IsWriter) {Steps}WriteManifest(output, recipe, data, checkpoint, targets, device, context.ResumeFrom, processes);");
        writer.Line($"using var log = new {Training}RunLog(output, plan with {{ StartStep = state.GlobalStep }}, context.ObserversOrConsole(training), context.ResumeFrom, processes);");
        if (shape.Evaluates)
        {
            writer.Line("var before = context.EvaluateBeforeTraining && context.ResumeFrom is null");
            writer.Line($"    ? {Training}Evaluator.Evaluate(model, data, training.BatchSize, 0, device, processes)");
            writer.Line("    : null;");
        }
        writer.Line();

        writer.Line(shape.Accumulates
            ? "// The loop: each optimizer step accumulates training.GradientAccumulationSteps micro-batches on each process."
            : "// The loop: one batch per process per optimizer step, until the plan's last step.");
        if (shape.Neftune)
            writer.Line("using var neftune = global::LoraDsl.Neftune.NeftuneNoise.Attach(model, new global::LoraDsl.Neftune.NeftuneOptions { Alpha = training.NeftuneAlpha!.Value });");
        writer.Line("model.train();");
        writer.Line("// Each micro-batch's gradients are taken out of .grad and summed in one fixed order, the same for any process count.");
        writer.Line("var gradients = new global::LoraDsl.Distributed.StepGradients(parameters, processes);");
        writer.Line("var batches = order.Batches(state.Epoch);");
        writer.Line("while (state.GlobalStep < plan.TotalSteps)");
        writer.Open();
        writer.Line("if (state.BatchInEpoch >= batches.Count)");
        writer.Open();
        writer.Line("state = state.NextEpoch();");
        writer.Line("batches = order.Batches(state.Epoch);");
        writer.Line("continue;");
        writer.Close();
        writer.Line("var learningRate = schedule.At(state.GlobalStep);");
        writer.Line($"{Steps}SeedStep(device, training.Seed, state.GlobalStep);");
        writer.Line(shape.LoraPlus
            ? "global::LoraDsl.Optimization.OptimizerParameterGroups.SetLearningRate(optimizer, groups, learningRate);"
            : $"{Training}AdamWOptimizer.SetLearningRate(optimizer, learningRate);");
        writer.Line("// The step's micro-batches over all processes (fewer at an epoch's end); this process runs its contiguous share.");
        writer.Line($"var take = global::System.Math.Min({Training}TrainingPlan.MicroBatchesPerStep(training, processes.Size), batches.Count - state.BatchInEpoch);");
        writer.Line($"{Training}StepOutcome step;");
        writer.Line("using (global::TorchSharp.torch.NewDisposeScope())");
        writer.Open();
        writer.Line("optimizer.zero_grad();");
        writer.Line("// The step's trained tokens (examples, for a classifier) over all its micro-batches on all processes, counted from the");
        writer.Line("// data before any forward: each micro-batch's summed loss is divided by this one total, as in one batch holding them all.");
        writer.Line("var terms = global::LoraDsl.Data.BatchCollator.StepLossTerms(data, batches, state.BatchInEpoch, take);");
        writer.Line("// This process's micro-batches: forward (randomness seeded by the micro-batch's index in the step), summed loss, backward.");
        writer.Line("var localTokens = 0;");
        writer.Line("gradients.Accumulate(global::LoraDsl.Distributed.MicroBatchShard.Of(take, processes), micro =>");
        writer.Open();
        writer.Line($"{Steps}SeedMicroBatch(training.Seed, state.GlobalStep, micro);");
        writer.Line("using var batch = global::LoraDsl.Data.BatchCollator.Collate(data, batches[state.BatchInEpoch + micro], device);");
        writer.Line($"var microLoss = {Training}TrainingLoss.ComputeSum(model, batch) / terms{(shape.AdaLora ? " + allocator.OrthogonalRegularization() / take" : "")};");
        writer.Line("microLoss.backward();");
        writer.Line("localTokens += batch.TokenCount;");
        writer.Line($"return {Training}StepOutcome.ReadLoss(microLoss);");
        writer.Close("});");
        writer.Line("// Data parallel: one allreduce sums the step's gradients, and one its loss and tokens, over the processes (nothing to send in one process).");
        writer.Line("var (loss, tokens) = gradients.Reduce(localTokens);");
        writer.Line("// Gradient clipping to training.MaxGradNorm (none when null) on the summed gradients; the norm before clipping is reported.");
        writer.Line($"step = new {Training}StepOutcome(loss, {Training}GradientClipping.ClipNorm(parameters, training.MaxGradNorm), tokens);");
        writer.Line("// The NaN stop: a non-finite loss or gradient norm updates nothing.");
        if (shape.AdaLora)
        {
            writer.Line("if (step.IsFinite)");
            writer.Open();
            writer.Line("optimizer.step();");
            writer.Line("// AdaLoRA: importance scores from this step's gradients, then the budget's mask on the singular values.");
            writer.Line("allocator.Update(state.GlobalStep + 1);");
            writer.Close();
        }
        else
        {
            writer.Line("if (step.IsFinite) optimizer.step();");
        }
        writer.Close();
        writer.Line("if (!step.IsFinite)");
        writer.Open();
        writer.Line("log.Diverged(state, step);");
        writer.Line("break;");
        writer.Close();
        writer.Line("state = state.AfterStep(take, step.Tokens, learningRate);");
        writer.Line("log.Step(state, step, learningRate);");
        if (shape.Evaluates)
        {
            writer.Line("if (training.EvalEvery > 0 && state.GlobalStep % training.EvalEvery == 0 && state.GlobalStep < plan.TotalSteps)");
            writer.Line("    state = EvaluateAndKeepBest(state);");
        }
        writer.Line("if (training.SaveEvery > 0 && state.GlobalStep % training.SaveEvery == 0 && state.GlobalStep < plan.TotalSteps)");
        writer.Line($"    log.Checkpoint({Training}TrainingCheckpoint.Save(global::System.IO.Path.Combine(output, {Training}TrainingCheckpoint.LastName), state, optimizer, store, processes), state);");
        writer.Line("// Ctrl+C (on any process): every process finishes this step, process 0 writes checkpoint-last, all stop.");
        writer.Line("if (processes.Any(context.Cancellation.IsCancellationRequested, \"the stop request\") && state.GlobalStep < plan.TotalSteps)");
        writer.Open();
        writer.Line($"log.Checkpoint({Training}TrainingCheckpoint.Save(global::System.IO.Path.Combine(output, {Training}TrainingCheckpoint.LastName), state, optimizer, store, processes), state);");
        writer.Line("log.Cancelled(state);");
        writer.Line("break;");
        writer.Close();
        writer.Close();
        writer.Line("model.eval();");
        writer.Line();

        writer.Line(shape.Evaluates
            ? "// After the last step: a final evaluation, checkpoint-last, and the adapter in PEFT's format."
            : "// After the last step: checkpoint-last and the adapter in PEFT's format.");
        writer.Line("string? adapterDirectory = null;");
        writer.Line($"if (log.Status == {Training}TrainingStatus.Completed)");
        writer.Open();
        if (shape.Evaluates) writer.Line("if (log.LastEvaluationStep != state.GlobalStep) state = EvaluateAndKeepBest(state);");
        writer.Line($"log.Checkpoint({Training}TrainingCheckpoint.Save(global::System.IO.Path.Combine(output, {Training}TrainingCheckpoint.LastName), state, optimizer, store, processes), state);");
        writer.Line($"adapterDirectory = {Steps}AdapterFolder(output);");
        writer.Line("if (processes.IsWriter)");
        writer.Open();
        writer.Line(shape.AdaLora
            ? "global::LoraDsl.Adapters.AdaLoraAdapterWriter.Save(adapterDirectory, model, adapters, adalora, checkpoint);"
            : "global::LoraDsl.Adapters.AdapterWriter.Save(adapterDirectory, model, adapters, checkpoint);");
        writer.Line($"{Steps}WriteLabels(adapterDirectory, data.Labels);");
        writer.Line("context.Log($\"adapter: {adapterDirectory}\");");
        writer.Close();
        writer.Close();
        writer.Line("var result = log.End(state);");
        writer.Line($"return new {Recipes}RecipeReport(RecipeName, targets, data.Train.Count, {(shape.Evaluates ? "before" : "null")}, result, adapterDirectory);");
        if (shape.Evaluates)
        {
            writer.Line();
            writer.Line("// Validation loss (and scores) now; a better loss than any before writes checkpoint-best.");
            writer.Line($"{Training}TrainerState EvaluateAndKeepBest({Training}TrainerState at)");
            writer.Open();
            writer.Line($"if ({Training}Evaluator.Evaluate(model, data, training.BatchSize, at.GlobalStep, device, processes) is not {{ }} metrics) return at;");
            writer.Line("log.Evaluation(metrics);");
            writer.Line("if (!at.IsImprovedBy(metrics.Loss)) return at;");
            writer.Line("var best = at.WithBest(metrics.Loss);");
            writer.Line($"log.Checkpoint({Training}TrainingCheckpoint.Save(global::System.IO.Path.Combine(output, {Training}TrainingCheckpoint.BestName), best, optimizer, store, processes), best, metrics);");
            writer.Line("return best;");
            writer.Close();
        }
        writer.Close();
    }
}
