using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Benchmarks;

/// <summary>
/// The analyzers we compare against, loaded by reflection from the restored packages' analyzers/dotnet/cs folders
/// (the package folders are recorded in this assembly's metadata at build time).
/// </summary>
public static class ThirdPartyAnalyzers
{
    /// <summary>roslyn-analyzers' DisposeObjectsBeforeLosingScope (dataflow-based; off by default).</summary>
    public const string Ca2000 = "CA2000";

    /// <summary>IDisposableAnalyzers' "Dispose created".</summary>
    public const string Idisp001 = "IDISP001";

    public static string NetAnalyzersFolder => AnalyzerFolder("NetAnalyzersPackage");

    public static string IDisposableAnalyzersFolder => AnalyzerFolder("IDisposableAnalyzersPackage");

    /// <summary>
    /// Types in the C# analyzer assemblies of <paramref name="folder"/> that report <paramref name="ruleId"/>, one
    /// fresh instance each time.
    /// </summary>
    public static Func<DiagnosticAnalyzer[]> Factory(string folder, string ruleId)
    {
        var types = AnalyzerTypes(folder)
            .Where(type => ((DiagnosticAnalyzer)Activator.CreateInstance(type)!).SupportedDiagnostics.Any(d => d.Id == ruleId))
            .ToList();
        if (types.Count == 0)
        {
            throw new InvalidOperationException($"No analyzer in '{folder}' reports {ruleId}.");
        }

        return () => types.Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!).ToArray();
    }

    /// <summary>
    /// <paramref name="compilation"/> with <paramref name="ruleId"/> on as a warning (CA2000 is off by default) and,
    /// so the analyzers do only the compared work, every other rule they support off.
    /// </summary>
    public static CSharpCompilation EnableOnly(CSharpCompilation compilation, string ruleId, IEnumerable<DiagnosticAnalyzer> analyzers)
    {
        var options = analyzers
            .SelectMany(analyzer => analyzer.SupportedDiagnostics)
            .Select(descriptor => descriptor.Id)
            .Distinct(StringComparer.Ordinal)
            .ToImmutableDictionary(id => id, id => id == ruleId ? ReportDiagnostic.Warn : ReportDiagnostic.Suppress);
        return compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(options));
    }

    private static IEnumerable<Type> AnalyzerTypes(string folder)
    {
        foreach (var path in Directory.GetFiles(folder, "*.dll").OrderBy(p => p, StringComparer.Ordinal))
        {
            var assembly = Assembly.LoadFrom(path);
            Type[] types;
            try
            {
                types = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException partial)
            {
                // Code-fix types may need host assemblies we do not load; the analyzers themselves do not.
                types = partial.Types.OfType<Type>().ToArray();
            }

            foreach (var type in types)
            {
                if (!type.IsAbstract
                    && typeof(DiagnosticAnalyzer).IsAssignableFrom(type)
                    && type.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp))
                    && type.GetConstructor(Type.EmptyTypes) is not null)
                {
                    yield return type;
                }
            }
        }
    }

    private static string AnalyzerFolder(string metadataKey)
    {
        var package = typeof(ThirdPartyAnalyzers).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == metadataKey)?.Value;
        if (string.IsNullOrEmpty(package))
        {
            throw new InvalidOperationException($"The package for '{metadataKey}' was not restored (no path recorded at build time).");
        }

        var folder = Path.Combine(package, "analyzers", "dotnet", "cs");
        return Directory.Exists(folder)
            ? folder
            : throw new InvalidOperationException($"No analyzers/dotnet/cs folder in '{package}'.");
    }
}
