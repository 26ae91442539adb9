"""One screen per module; each exports a PascalCase @ft.component returning an ft.View."""
