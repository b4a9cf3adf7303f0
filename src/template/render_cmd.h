/*
 * render_cmd: `hotline render TEMPLATE DATA.json [--partials DIR]`, for
 * trying templates out and for golden-file tests.
 */
#ifndef HOTLINE_TEMPLATE_RENDER_CMD_H
#define HOTLINE_TEMPLATE_RENDER_CMD_H

/*
 * Renders the template file TEMPLATE with the JSON document in DATA.json
 * and writes exactly the result to stdout (no newline added). `{{> name}}`
 * reads DIR/name.mustache (DIR defaults to "templates"); only the partials
 * the template actually reaches are read, and a missing one renders empty.
 * argv[0] is "render". Returns 0 on success; 1 after printing to stderr an
 * error naming the file (and the line, for template and JSON errors); 2
 * after printing the usage for bad arguments.
 */
int cmd_render(int argc, char **argv);

#endif
