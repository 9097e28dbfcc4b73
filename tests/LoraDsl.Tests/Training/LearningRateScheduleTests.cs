using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void WarmupRisesLinearlyFromZeroToPeak()
    {
        var schedule = new LearningRateSchedule(1e-3, warmupSteps: 4, totalSteps: 20, LearningRateDecay.Linear);
        Assert.Equal(0, schedule.At(0));
        Assert.Equal(0.5e-3, schedule.At(2), 12);
        Assert.Equal(1e-3, schedule.At(4), 12);
    }

    [Fact]
    public void LinearDecayReachesZeroAtTheEnd()
    {
        var schedule = new LearningRateSchedule(1e-3, 4, 20, LearningRateDecay.Linear);
        Assert.Equal(0.5e-3, schedule.At(12), 12);
        Assert.Equal(1e-3 / 16, schedule.At(19), 12);
        Assert.Equal(0, schedule.At(20), 12);
    }

    [Fact]
    public void CosineDecayIsHalfAtTheMiddleAndZeroAtTheEnd()
    {
        var schedule = new LearningRateSchedule(2e-4, 0, 10, LearningRateDecay.Cosine);
        Assert.Equal(2e-4, schedule.At(0), 12);
        Assert.Equal(1e-4, schedule.At(5), 12);
        Assert.Equal(2e-4 * 0.5 * (1 + Math.Cos(Math.PI * 0.3)), schedule.At(3), 12);
        Assert.Equal(0, schedule.At(10), 12);
    }

    [Fact]
    public void ConstantStaysAtPeakAfterWarmup()
    {
        var schedule = new LearningRateSchedule(3e-4, 2, 10, LearningRateDecay.Constant);
        Assert.Equal(1.5e-4, schedule.At(1), 12);
        Assert.Equal(3e-4, schedule.At(9), 12);
    }

    [Fact]
    public void WarmupFractionRoundsUpAndWarmupStepsWins()
    {
        var options = new TrainingOptions { WarmupFraction = 0.03 };
        Assert.Equal(3, LearningRateSchedule.From(options, 100).WarmupSteps);
        Assert.Equal(4, LearningRateSchedule.From(options, 110).WarmupSteps);
        Assert.Equal(7, LearningRateSchedule.From(options with { WarmupSteps = 7 }, 100).WarmupSteps);
    }
}
