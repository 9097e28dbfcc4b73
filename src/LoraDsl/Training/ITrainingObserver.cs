namespace LoraDsl.Training;

/// <summary>Receives a run's progress (console reporter, metrics files, user hooks). Called on the training thread.</summary>
public interface ITrainingObserver
{
    void OnStart(TrainingPlan plan) { }

    void OnStep(StepMetrics metrics) { }

    void OnEvaluation(EvaluationMetrics metrics) { }

    void OnCheckpoint(string directory, int step) { }

    void OnEnd(TrainingResult result) { }
}
