using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Tests.Verification;

/// <summary>
/// Entry point of the verifier. Markup: <c>[|...|]</c> expects a diagnostic with the id passed as <c>id</c>,
/// <c>{|DRV1002:...|}</c> names its id. Every test source is compiled with the <see cref="Prelude"/> beside it and
/// must compile unless <c>allowCompilerErrors</c> is set.
/// </summary>
public static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>A test to configure fluently and run with <see cref="AnalyzerTest{TAnalyzer}.RunAsync"/>.</summary>
    public static AnalyzerTest<TAnalyzer> Test(params string[] sources) => new(sources);

    /// <summary>Verifies one document.</summary>
    public static Task VerifyAsync(
        string source,
        string? id = null,
        string? messageContains = null,
        int? additionalLocations = null,
        bool allowCompilerErrors = false,
        bool referenceAnnotations = true) =>
        VerifyAsync(new[] { source }, id, messageContains, additionalLocations, allowCompilerErrors, referenceAnnotations);

    /// <summary>Verifies several documents of one project (expectations may be marked in any of them).</summary>
    public static Task VerifyAsync(
        string[] sources,
        string? id = null,
        string? messageContains = null,
        int? additionalLocations = null,
        bool allowCompilerErrors = false,
        bool referenceAnnotations = true)
    {
        var test = Test(sources).AllowingCompilerErrors(allowCompilerErrors);
        if (id is not null)
        {
            test.WithId(id);
        }

        if (messageContains is not null)
        {
            test.WithMessageContaining(messageContains);
        }

        if (additionalLocations is int count)
        {
            test.WithAdditionalLocationCount(count);
        }

        if (!referenceAnnotations)
        {
            test.WithoutAnnotations();
        }

        return test.RunAsync();
    }
}
