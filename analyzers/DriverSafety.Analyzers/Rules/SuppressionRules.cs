using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Analyzers.Rules
{
    /// <summary>
    /// DRV9004 (Info): a suppression of a DriverSafety rule that does not say why — a <c>#pragma warning disable DRVnnnn</c>
    /// with no comment on its line, or a <c>[SuppressMessage]</c> for a DriverSafety rule with no <c>Justification</c>. A
    /// locking or lifetime finding silenced without a reason is a review question nobody can answer later.
    /// </summary>
    internal static class SuppressionRules
    {
        /// <summary>Every <c>#pragma warning disable</c> of a DRV rule without a trailing comment.</summary>
        public static void AnalyzeTree(SyntaxTreeAnalysisContext context)
        {
            var root = context.Tree.GetRoot(context.CancellationToken);
            if (!root.ContainsDirectives)
            {
                return;
            }

            for (var directive = root.GetFirstDirective(); directive is not null; directive = directive.GetNextDirective())
            {
                if (directive is not PragmaWarningDirectiveTriviaSyntax pragma || !pragma.DisableOrRestoreKeyword.IsKind(SyntaxKind.DisableKeyword))
                {
                    continue;
                }

                var ids = string.Empty;
                foreach (var code in pragma.ErrorCodes)
                {
                    if (code is IdentifierNameSyntax name && name.Identifier.ValueText.StartsWith("DRV", StringComparison.Ordinal))
                    {
                        ids += (ids.Length == 0 ? string.Empty : ", ") + name.Identifier.ValueText;
                    }
                }

                if (ids.Length == 0 || HasComment(pragma))
                {
                    continue;
                }

                context.ReportDiagnostic(Diagnostic.Create(Descriptors.SuppressionWithoutJustification, pragma.GetLocation(),
                    $"'#pragma warning disable {ids}'", "a comment on the same line (// why the finding does not apply here)"));
            }
        }

        /// <summary>A <c>[SuppressMessage]</c> of a DriverSafety rule (by category or id) without a non-empty <c>Justification</c>.</summary>
        public static void AnalyzeAttribute(SyntaxNodeAnalysisContext context)
        {
            var attribute = (AttributeSyntax)context.Node;
            var text = attribute.Name.ToString();
            if (text.IndexOf("SuppressMessage", StringComparison.Ordinal) < 0 || attribute.ArgumentList is not { } arguments || arguments.Arguments.Count < 2)
            {
                return;
            }

            if (context.SemanticModel.GetSymbolInfo(attribute, context.CancellationToken).Symbol is not IMethodSymbol { ContainingType: { Name: "SuppressMessageAttribute" } type } ||
                type.ContainingNamespace?.ToDisplayString() != "System.Diagnostics.CodeAnalysis")
            {
                return;
            }

            var category = context.SemanticModel.GetConstantValue(arguments.Arguments[0].Expression, context.CancellationToken).Value as string;
            var check = context.SemanticModel.GetConstantValue(arguments.Arguments[1].Expression, context.CancellationToken).Value as string;
            if (!(category?.StartsWith("DriverSafety", StringComparison.Ordinal) ?? false) && !(check?.StartsWith("DRV", StringComparison.Ordinal) ?? false))
            {
                return;
            }

            foreach (var argument in arguments.Arguments)
            {
                if (argument.NameEquals?.Name.Identifier.ValueText == "Justification" &&
                    context.SemanticModel.GetConstantValue(argument.Expression, context.CancellationToken).Value is string justification &&
                    !string.IsNullOrWhiteSpace(justification))
                {
                    return;
                }
            }

            context.ReportDiagnostic(Diagnostic.Create(Descriptors.SuppressionWithoutJustification, attribute.GetLocation(),
                $"[SuppressMessage(\"{category}\", \"{check}\")]", "Justification = \"why the finding does not apply here\""));
        }

        private static bool HasComment(PragmaWarningDirectiveTriviaSyntax pragma)
        {
            // The comment ends the directive's line: it is trivia of its last token, wherever the parser hung it.
            foreach (var trivia in pragma.DescendantTrivia())
            {
                if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) && trivia.ToString().TrimStart('/').Trim().Length > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
