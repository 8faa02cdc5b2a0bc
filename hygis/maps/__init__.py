"""Interactive web maps of the plan, on folium (Leaflet)."""
