using LoraDsl.AdaLora;
using Xunit;

namespace LoraDsl.Tests.AdaLora;

public class AdaLoraBudgetScheduleTests
{
    static readonly AdaLoraOptions Options = new() { InitR = 6, TargetR = 2, TInit = 2, TFinal = 3, DeltaT = 2, TotalStep = 20 };

    [Fact]
    public void Budget_is_full_then_cubic_then_the_target()
    {
        const int modules = 3, initial = 6 * modules, target = 2 * modules;
        var schedule = AdaLoraBudgetSchedule.For(Options, modules);
        Assert.Equal((initial, target), (schedule.InitialBudget, schedule.TargetBudget));
        for (var t = 0; t <= 22; t++)
        {
            AdaLoraBudget expected;
            if (t <= 2) expected = new(initial, false);
            else if (t > 20 - 3) expected = new(target, true);
            else
            {
                var rest = 1 - (t - 2) / 15.0;
                expected = new((int)Math.Floor((initial - target) * rest * rest * rest + target), t % 2 == 0);
            }
            Assert.Equal(expected, schedule.At(t));
        }
        // By hand: t = 3: 12·(14/15)³ + 6 = 15.76; t = 10: 12·(7/15)³ + 6 = 7.22.
        Assert.Equal(new AdaLoraBudget(15, false), schedule.At(3));
        Assert.Equal(new AdaLoraBudget(7, true), schedule.At(10));
        // At T − tfinal the loop's final allocation is forced by the allocator; the schedule itself says no mask (PEFT).
        Assert.Equal(new AdaLoraBudget(target, false), schedule.At(17));
        Assert.Equal(new AdaLoraBudget(target, true), schedule.At(18));
    }

    [Theory]
    [InlineData(null, 0, 0)]
    [InlineData(10, 5, 5)]
    [InlineData(10, 10, 0)]
    public void Schedules_without_a_budgeting_phase_are_refused(int? totalStep, int tinit, int tfinal)
    {
        var error = Assert.Throws<ArgumentException>(() => (Options with { TotalStep = totalStep, TInit = tinit, TFinal = tfinal }).Validate());
        Assert.Contains("total_step", error.Message);
    }

    [Fact]
    public void Other_settings_are_checked()
    {
        Assert.Throws<ArgumentException>(() => (Options with { TargetR = 7 }).Validate());
        Assert.Throws<ArgumentException>(() => (Options with { Beta1 = 1 }).Validate());
        Assert.Throws<ArgumentException>(() => (Options with { DeltaT = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (Options with { OrthRegWeight = -1 }).Validate());
    }
}
