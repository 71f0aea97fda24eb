using System;
using System.Threading;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Rules
{
    /// <summary>
    /// DRV9001 and DRV9002: malformed annotations, reported once at the attribute of the declaring member (from the
    /// symbol action for attributes in source, from the additional-file action for lines of an external annotations file);
    /// DRV9005: a malformed line of an external annotations file.
    /// </summary>
    internal static class AnnotationRules
    {
        public static void Report(ISymbol symbol, ContractProvider contracts, Action<Diagnostic> report)
        {
            foreach (var problem in contracts.ProblemsOf(symbol))
            {
                if (problem.Location.Kind != LocationKind.ExternalFile)
                {
                    report(Diagnostic.Create(problem.Descriptor, problem.Location, problem.Message));
                }
            }
        }

        public static void ReportFile(string? path, ContractProvider contracts, Action<Diagnostic> report, CancellationToken cancellation)
        {
            foreach (var file in contracts.Known.Annotations.Files)
            {
                if (!string.Equals(file.Path, path, StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (var problem in file.Problems)
                {
                    report(problem);
                }

                foreach (var symbol in file.Annotated)
                {
                    cancellation.ThrowIfCancellationRequested();
                    foreach (var problem in contracts.ProblemsOf(symbol))
                    {
                        if (problem.Location.Kind == LocationKind.ExternalFile && string.Equals(problem.Location.GetLineSpan().Path, path, StringComparison.Ordinal))
                        {
                            report(Diagnostic.Create(problem.Descriptor, problem.Location, problem.Message));
                        }
                    }
                }
            }
        }
    }
}
